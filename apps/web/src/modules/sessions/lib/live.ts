// Live session updates as server-sent events. Each open page polls Postgres (one indexed read a second):
// it works across any number of portal and worker replicas with nothing else to deploy, and a snapshot
// goes out only when something on the page changed. The stream ends after the session does.
import type { Db } from "@capture/db";
import { isAppError } from "~/server/errors.ts";
import { getSessionSnapshot, LIVE_STATES, type SessionSnapshot } from "./sessions.ts";

export interface LiveOptions {
  intervalMs?: number;
  heartbeatMs?: number;
  signal?: AbortSignal;
}

const encoder = new TextEncoder();
const frame = (event: string, data: unknown) =>
  encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export function sessionEventStream(
  db: Db,
  teamId: string,
  sessionId: string,
  opts: LiveOptions = {},
): ReadableStream<Uint8Array> {
  const intervalMs = opts.intervalMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let lastVersion = "";
      let lastSent = Date.now();
      const close = () => {
        if (closed) return;
        closed = true;
        if (timer) clearTimeout(timer);
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      };
      opts.signal?.addEventListener("abort", close, { once: true });
      const tick = async () => {
        if (closed) return;
        let snapshot: SessionSnapshot;
        try {
          snapshot = await getSessionSnapshot(db, teamId, sessionId);
        } catch (err) {
          controller.enqueue(frame("error", { code: isAppError(err) ? err.code : "INTERNAL" }));
          close();
          return;
        }
        if (closed) return;
        if (snapshot.version !== lastVersion) {
          lastVersion = snapshot.version;
          lastSent = Date.now();
          controller.enqueue(frame("snapshot", snapshot));
        } else if (Date.now() - lastSent >= heartbeatMs) {
          lastSent = Date.now();
          controller.enqueue(encoder.encode(": keep-alive\n\n"));
        }
        if (!LIVE_STATES.has(snapshot.state)) {
          controller.enqueue(frame("end", { state: snapshot.state }));
          close();
          return;
        }
        timer = setTimeout(tick, intervalMs);
      };
      void tick();
    },
    cancel() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  });
}
