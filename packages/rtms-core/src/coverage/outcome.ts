// msg 28's answer in the scheduler's terms, from RtmsSession.subscribeVideo: it resolves on OK or 44 and
// rejects with the classified status otherwise, or with no status when signaling did not answer.
import type { SubscribeOutcome } from "./scheduler.ts";

interface MaybeStatusError {
  status?: { code: number; text?: string };
  message?: string;
}

export async function subscribeOutcome(request: Promise<unknown>): Promise<SubscribeOutcome> {
  try {
    await request;
    return { ok: true };
  } catch (err) {
    const e = err as MaybeStatusError;
    if (e && typeof e.status?.code === "number") {
      return { ok: false, kind: "refused", statusCode: e.status.code, reason: e.status.text };
    }
    return { ok: false, kind: "unavailable", message: e?.message ?? String(err) };
  }
}
