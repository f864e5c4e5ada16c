// A participant's frames, or a whole session's, as a zip, streamed: frames are read in keyset pages, each
// file is added only after the previous one was written (so 10,000 frames never hold 10,000 open files),
// and the archive flows to the client as it is produced. JPEGs do not compress, so entries are stored.
// The portal's download and the API's export (/api/v1/sessions/{id}/export.zip) both come through here.
import { PassThrough, type Readable } from "node:stream";
import type { Db } from "@capture/db";
import { ZipArchive } from "archiver";
import { AppError } from "~/server/errors.ts";
import type { FrameFiles } from "./frame-files.ts";
import { exportName, getParticipant } from "./frames.ts";

const BATCH = 500;

export interface ZipExport {
  filename: string;
  frameCount: number;
  stream: Readable;
}

const clean = (s: string) =>
  s
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 60);

/** A participant's name in files: letters, digits, - and _ only (safe in Content-Disposition and zips). */
const personStem = (participantName: string, zoomUserId: string) =>
  `${clean(participantName) || "participant"}_${clean(zoomUserId) || "user"}`;

/** Safe for a Content-Disposition filename: letters, digits, - and _ only. */
export function zipFilename(participantName: string, zoomUserId: string): string {
  return `${personStem(participantName, zoomUserId)}.zip`;
}

interface ZipEntry {
  storageKey: string;
  name: string;
  date: Date;
}

type ZipDeps = { db: Db; store: FrameFiles; log?: { warn: (o: object, m: string) => void } };

/** One participant's frames, newest first, in keyset pages of BATCH; names under `folder` if given. */
async function* participantEntries(db: Db, participantId: string, folder = ""): AsyncGenerator<ZipEntry> {
  let before: bigint | undefined;
  for (;;) {
    const frames = await db.frame.findMany({
      where: { participantId, ...(before === undefined ? {} : { zoomTimestamp: { lt: before } }) },
      select: { storageKey: true, zoomTimestamp: true, contentType: true, createdAt: true },
      orderBy: { zoomTimestamp: "desc" },
      take: BATCH,
    });
    for (const f of frames) {
      yield {
        storageKey: f.storageKey,
        name: folder + exportName(f.zoomTimestamp, f.contentType),
        date: f.createdAt,
      };
    }
    if (frames.length < BATCH) return;
    before = frames.at(-1)!.zoomTimestamp;
  }
}

/** Writes the entries into a stored zip, one file at a time, stopping when the reader goes away. */
function streamZip(deps: ZipDeps, entries: AsyncIterable<ZipEntry>, context: object): Readable {
  const archive = new ZipArchive({ store: true });
  const out = new PassThrough();
  archive.on("error", (err) => out.destroy(err));
  archive.on("warning", (err) => deps.log?.warn({ err, ...context }, "zip warning"));
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
    try {
      for await (const e of entries) {
        if (aborted) return;
        let source: Readable;
        try {
          source = (await deps.store.createReadStream(e.storageKey)).stream;
        } catch (err) {
          // A file removed under us (deleted meanwhile): skip it rather than fail the whole export.
          deps.log?.warn({ err, storageKey: e.storageKey }, "frame file missing from export");
          continue;
        }
        const written = entryWritten();
        archive.append(source, { name: e.name, date: e.date });
        await written;
      }
      if (!aborted) await archive.finalize();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return out;
}

export async function participantZip(
  deps: ZipDeps,
  teamId: string,
  participantId: string,
): Promise<ZipExport> {
  const participant = await getParticipant(deps.db, teamId, participantId);
  return {
    filename: zipFilename(participant.name, participant.zoomUserId),
    frameCount: participant.frameCount,
    stream: streamZip(deps, participantEntries(deps.db, participantId), { participantId }),
  };
}

/**
 * A session's frames: one folder per participant who has frames (`<name>_<zoomUserId>/<timestamp>.jpg`),
 * in the order they joined. Another team's session is NOT_FOUND, as everywhere.
 */
export async function sessionZip(deps: ZipDeps, teamId: string, sessionId: string): Promise<ZipExport> {
  const session = await deps.db.captureSession.findFirst({
    where: { id: sessionId, teamId },
    select: {
      id: true,
      startedAt: true,
      meeting: { select: { name: true } },
      participants: {
        where: { frameCount: { gt: 0 } },
        select: { id: true, name: true, zoomUserId: true, frameCount: true },
        orderBy: { firstSeenAt: "asc" },
      },
    },
  });
  if (!session) throw new AppError("NOT_FOUND", "No such session");
  const people = session.participants;
  // Names are untrusted and cleaning may map two people to one folder: the participant id's tail then
  // keeps the second apart.
  const folders = new Set<string>();
  const folderOf = (p: (typeof people)[number]) => {
    let f = personStem(p.name, p.zoomUserId);
    if (folders.has(f)) f = `${f}_${p.id.slice(-6)}`;
    folders.add(f);
    return `${f}/`;
  };
  async function* entries() {
    for (const p of people) yield* participantEntries(deps.db, p.id, folderOf(p));
  }
  const day = session.startedAt.toISOString().slice(0, 10);
  return {
    filename: `${clean(session.meeting?.name ?? "") || "session"}_${day}_${session.id.slice(-8)}.zip`,
    frameCount: people.reduce((n, p) => n + p.frameCount, 0),
    stream: streamZip(deps, entries(), { sessionId }),
  };
}
