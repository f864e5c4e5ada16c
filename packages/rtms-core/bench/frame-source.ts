// The frame stream both benchmark sides consume: msg 15 for 4 participants in turn, 5 fps each (timestamps
// step 200 ms), carrying a fixed pseudo-random "HD JPEG" (JPEG markers around random bytes of a realistic
// size; base64 cost depends on size, not on content). Built the way the simulator builds frames.
export const JPEG_BYTES = 120_000;
export const PARTICIPANTS = 4;

function pseudoRandomJpeg(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  b[0] = 0xff;
  b[1] = 0xd8;
  b[size - 2] = 0xff;
  b[size - 1] = 0xd9;
  return b;
}

export const JPEG = pseudoRandomJpeg(JPEG_BYTES);
const BASE64 = Buffer.from(JPEG.toString("base64"));

/** Frame i of the stream, as the bytes a server sends. */
export function frameMessage(i: number): Buffer {
  const p = i % PARTICIPANTS;
  const userId = 16_778_240 + p;
  const timestamp = 1_732_000_000_000 + Math.floor(i / PARTICIPANTS) * 200;
  const prefix = `{"msg_type":15,"content":{"user_id":${userId},"user_name":"User ${p}","data":"`;
  const suffix = `","length":${JPEG_BYTES},"timestamp":${timestamp}}}`;
  return Buffer.concat([Buffer.from(prefix), BASE64, Buffer.from(suffix)]);
}
