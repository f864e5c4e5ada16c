// A receiver of RTMS Capture's outbound webhooks that hands every stored frame to a "vision pipeline":
// here, a JSON line per frame (id, participant, bytes, sha256, width/height) appended to a file.
//
// For each POST it:
//   1. reads the raw body (bounded) and checks the signature and timestamp (signature.ts);
//   2. answers the endpoint.url_validation challenge, which is how the portal's "Validate" button proves
//      that this receiver holds the signing secret;
//   3. deduplicates on the event id: retries and the portal's "Resend" carry the same id;
//   4. for frame.stored, fetches each image with its short-lived signed URL (falling back to the API with
//      a token when a late retry brings expired URLs), hashes it and writes the lines in one append.
// It answers 2xx only once the frames are written, so a failure (the portal unreachable, a disk error)
// makes the sender retry with backoff; an event id is remembered only after it succeeded.
import { createHash } from "node:crypto";
import { appendFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { imageSize } from "./image-size.ts";
import { challengeResponse, checkSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./signature.ts";

export interface ConsumerOptions {
  /** The endpoint's signing secret (whsec_...), shown once when it was registered or rotated. */
  secret: string;
  /** Where the JSON lines go. */
  outFile: string;
  /** Optional API token (read scope) for frames whose signed URL has expired. */
  apiToken?: string | undefined;
  toleranceSec?: number;
  maxBodyBytes?: number;
  /** Images fetched at once per event. */
  fetchConcurrency?: number;
  log?: (entry: Record<string, unknown>) => void;
  fetch?: typeof fetch;
}

/** What one frame.stored carries per frame (the fields this consumer uses). */
interface StoredFrame {
  id: string;
  zoomTimestamp: string;
  bytes: number;
  contentType: string;
  url: string;
}

interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  data: {
    session?: { id: string };
    participant?: { id: string; zoomUserId?: string; name?: string };
    frames?: StoredFrame[];
  };
}

export interface FrameLine {
  frameId: string;
  eventId: string;
  sessionId: string | null;
  participant: { id: string; zoomUserId: string | null; name: string | null } | null;
  zoomTimestamp: string;
  contentType: string;
  bytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Remembers the newest `max` ids (insertion order); enough for retries, which come within a day. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max = 100_000) {}
  has(id: string) {
    return this.ids.has(id);
  }
  add(id: string) {
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
  }
}

export interface Consumer {
  server: Server;
  /** Counters, for logs and tests. */
  stats: { events: number; duplicates: number; frames: number; refused: number };
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export function createConsumer(opts: ConsumerOptions): Consumer {
  const log = opts.log ?? ((e) => process.stdout.write(`${JSON.stringify(e)}\n`));
  const doFetch = opts.fetch ?? fetch;
  const done = new RecentIds();
  // A delivery retried while the first attempt is still working waits for it instead of doing it twice.
  const inFlight = new Map<string, Promise<number>>();
  const stats = { events: 0, duplicates: 0, frames: 0, refused: 0 };

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const limit = opts.maxBodyBytes ?? 5 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError(413, "body too large");
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async function fetchImage(frame: StoredFrame): Promise<Buffer | null> {
    let res = await doFetch(frame.url, { redirect: "error", signal: AbortSignal.timeout(10_000) });
    if (res.status === 401 && opts.apiToken) {
      // The signed URL expired (a retry hours later): the same bytes through the API, with a token.
      const api = new URL(`/api/v1/frames/${encodeURIComponent(frame.id)}/image`, frame.url);
      res = await doFetch(api, {
        headers: { Authorization: `Bearer ${opts.apiToken}` },
        redirect: "error",
        signal: AbortSignal.timeout(10_000),
      });
    }
    // Deleted since the event was made (a person erased, retention, a frame deleted by hand): nothing to
    // fetch, ever. Anything else may pass; answering 5xx makes the sender retry later.
    if (res.status === 404) return null;
    if (!res.ok) throw new HttpError(502, `frame ${frame.id}: image fetch answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async function frameStored(event: WebhookEvent): Promise<number> {
    const frames = event.data.frames ?? [];
    const p = event.data.participant;
    const lines: (FrameLine | null)[] = new Array(frames.length).fill(null);
    let next = 0;
    const work = async () => {
      while (next < frames.length) {
        const i = next++;
        const f = frames[i]!;
        const img = await fetchImage(f);
        if (!img) {
          log({ msg: "frame gone", eventId: event.id, frameId: f.id });
          continue;
        }
        const size = imageSize(img);
        lines[i] = {
          frameId: f.id,
          eventId: event.id,
          sessionId: event.data.session?.id ?? null,
          participant: p ? { id: p.id, zoomUserId: p.zoomUserId ?? null, name: p.name ?? null } : null,
          zoomTimestamp: f.zoomTimestamp,
          contentType: f.contentType,
          bytes: img.length,
          sha256: createHash("sha256").update(img).digest("hex"),
          width: size?.width ?? null,
          height: size?.height ?? null,
        };
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.fetchConcurrency ?? 4, frames.length) }, work));
    // One append for the whole event: a failure above writes nothing, and the retry writes it all once.
    const kept = lines.filter((l) => l !== null);
    if (kept.length) await appendFile(opts.outFile, kept.map((l) => `${JSON.stringify(l)}\n`).join(""));
    stats.frames += kept.length;
    return kept.length;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== "POST") throw new HttpError(405, "POST only");
      const raw = await readBody(req);
      const check = checkSignature(
        opts.secret,
        {
          signature: req.headers[SIGNATURE_HEADER] as string,
          timestamp: req.headers[TIMESTAMP_HEADER] as string,
        },
        raw,
        opts.toleranceSec === undefined ? {} : { toleranceSec: opts.toleranceSec },
      );
      if (!check.ok) {
        stats.refused++;
        log({ msg: "refused", reason: check.reason });
        return reply(401, { error: `signature ${check.reason}` });
      }
      let body: { id?: unknown; event?: unknown; type?: unknown; payload?: { plainToken?: unknown } };
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new HttpError(400, "not JSON");
      }
      if (body.event === "endpoint.url_validation") {
        const token = body.payload?.plainToken;
        if (typeof token !== "string") throw new HttpError(400, "no plainToken");
        log({ msg: "challenge answered" });
        return reply(200, challengeResponse(opts.secret, token));
      }
      const event = body as WebhookEvent;
      if (typeof event.id !== "string" || typeof event.type !== "string") {
        throw new HttpError(400, "not an event");
      }
      if (done.has(event.id)) {
        stats.duplicates++;
        log({ msg: "duplicate", eventId: event.id, type: event.type });
        return reply(200, { ok: true, duplicate: true });
      }
      let running = inFlight.get(event.id);
      const first = running === undefined;
      if (!running) {
        running = event.type === "frame.stored" ? frameStored(event) : Promise.resolve(0);
        inFlight.set(event.id, running);
        running.then(
          () => {
            done.add(event.id);
            inFlight.delete(event.id);
          },
          () => inFlight.delete(event.id),
        );
      }
      const frames = await running;
      if (first) {
        stats.events++;
        log({ msg: "event", eventId: event.id, type: event.type, frames });
      } else {
        stats.duplicates++;
      }
      reply(200, { ok: true, frames });
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      log({ msg: "failed", status, error: (err as Error).message });
      if (!res.headersSent) reply(status, { error: (err as Error).message });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  return {
    server,
    stats,
    listen(port = 0, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve((server.address() as { port: number }).port));
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
