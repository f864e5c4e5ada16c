// Width and height from the image header, without decoding pixels: a JPEG's SOF segment or a PNG's IHDR.
// Cheap enough to run on every frame; a real CV pipeline would decode the image anyway.

export interface ImageSize {
  width: number;
  height: number;
}

export function imageSize(buf: Buffer): ImageSize | null {
  // PNG: 8-byte signature, then the IHDR chunk (length, "IHDR", width, height).
  if (buf.length >= 24 && buf.readUInt32BE(0) === 0x89504e47 && buf.toString("latin1", 12, 16) === "IHDR") {
    return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  // JPEG: SOI, then segments (FF marker, 2-byte length) until a start-of-frame marker.
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= buf.length) {
    if (buf[at] !== 0xff) return null;
    const marker = buf[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const len = buf.readUInt16BE(at + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry precision, height, width.
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (at + 9 > buf.length) return null;
      return { height: buf.readUInt16BE(at + 5), width: buf.readUInt16BE(at + 7) };
    }
    if (marker === 0xda || len < 2) return null; // start of scan before any SOF: not a JPEG we read
    at += 2 + len;
  }
  return null;
}
