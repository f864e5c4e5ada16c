// A participant's frames as a zip, streamed: frames are read one at a time in keyset pages, each file is
// added only after the previous one was written (so 10,000 frames never hold 10,000 open files), and the
// archive flows to the client as it is produced. JPEGs do not compress, so entries are stored.
import { PassThrough, type Readable } from "node:stream";
import type { Db } from "@capture/db";
import { ZipArchive } from "archiver";
import type { FrameFiles } from "./frame-files.ts";
import { exportName, getParticipant } from "./frames.ts";

const BATCH = 500;

export interface ZipExport {
  filename: string;
  frameCount: number;
  stream: Readable;
}

/** Safe for a Content-Disposition filename: letters, digits, - and _ only. */
export function zipFilename(participantName: string, zoomUserId: string): string {
  const clean = (s: string) =>
    s
      .normalize("NFKD")
      .replace(/[^A-Za-z0-9_-]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 60);
  return `${clean(participantName) || "participant"}_${clean(zoomUserId) || "user"}.zip`;
}

export async function participantZip(
  deps: { db: Db; store: FrameFiles; log?: { warn: (o: object, m: string) => void } },
  teamId: string,
  participantId: string,
): Promise<ZipExport> {
  const participant = await getParticipant(deps.db, teamId, participantId);
  const archive = new ZipArchive({ store: true });
  const out = new PassThrough();
  archive.on("error", (err) => out.destroy(err));
  archive.on("warning", (err) => deps.log?.warn({ err, participantId }, "zip warning"));
  archive.pipe(out);
  let aborted = false;
  out.on("close", () => {
    // The client went away: stop reading frames.
    if (!archive.readableEnded) {
      aborted = true;
      archive.abort();
    }
  });

  const entryWritten = () =>
    new Promise<void>((resolve, reject) => {
      const onEntry = () => {
        archive.off("error", onError);
        resolve();
      };
      const onError = (err: Error) => {
        archive.off("entry", onEntry);
        reject(err);
      };
      archive.once("entry", onEntry);
      archive.once("error", onError);
    });

  void (async () => {
    let before: bigint | undefined;
    try {
      for (;;) {
        const frames = await deps.db.frame.findMany({
          where: { participantId, ...(before === undefined ? {} : { zoomTimestamp: { lt: before } }) },
          select: { storageKey: true, zoomTimestamp: true, contentType: true, createdAt: true },
          orderBy: { zoomTimestamp: "desc" },
          take: BATCH,
        });
        for (const f of frames) {
          if (aborted) return;
          let source: Readable;
          try {
            source = (await deps.store.createReadStream(f.storageKey)).stream;
          } catch (err) {
            // A file removed under us (deleted meanwhile): skip it rather than fail the whole export.
            deps.log?.warn({ err, storageKey: f.storageKey }, "frame file missing from export");
            continue;
          }
          const written = entryWritten();
          archive.append(source, { name: exportName(f.zoomTimestamp, f.contentType), date: f.createdAt });
          await written;
        }
        if (frames.length < BATCH) break;
        before = frames.at(-1)!.zoomTimestamp;
      }
      if (!aborted) await archive.finalize();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();

  return {
    filename: zipFilename(participant.name, participant.zoomUserId),
    frameCount: participant.frameCount,
    stream: out,
  };
}
