// A second team for the tenant-isolation and limits tests: its own Team, Zoom app row (zoom-sim's RTMS
// credentials, so its streams can really connect) and meetings. Its Zoom events reach the worker the way
// the portal's webhook route hands them over after checking the signature: a zoom-events job for the team.
import { encryptSecret, parseKeyring, SecretContext } from "@capture/db";
import type { ZoomEvent } from "@capture/zoom-sim";
import { type Harness, waitUntil } from "./harness.ts";

export async function createSecondTeam(h: Harness, slug: string) {
  const keyring = parseKeyring(h.env.CAPTURE_ENCRYPTION_KEYS);
  const { clientId, clientSecret } = h.sim.options.rtmsApp;
  const team = await h.testDb.db.team.create({ data: { slug, name: slug } });
  await h.testDb.db.zoomApp.create({
    data: {
      teamId: team.id,
      clientId,
      clientSecretEnc: encryptSecret(keyring, clientSecret, SecretContext.clientSecret),
    },
  });
  return team;
}

/** What the webhook route enqueues for `teamId` once the body's signature checked out. */
export async function deliverAsTeam(
  h: Harness,
  teamId: string,
  event: { event: string; event_ts: number; payload: unknown },
) {
  return h.queues.addZoomEvent({
    teamId,
    source: "webhook",
    event: event.event,
    eventTs: event.event_ts,
    payload: event.payload,
    receivedAt: Date.now(),
  });
}

/** The rtms_started zoom-sim published for a stream. */
export function startedEventOf(h: Harness, streamId: string): ZoomEvent {
  const e = h.sim.publishedEvents.find(
    (x) =>
      x.event === "meeting.rtms_started" &&
      (x.payload as { rtms_stream_id?: string }).rtms_stream_id === streamId,
  );
  if (!e) throw new Error(`no rtms_started published for ${streamId}`);
  return e;
}

/** Waits until the zoom-events job has run; returns what the worker's intake answered. */
export async function intakeResult(h: Harness, jobId: string | undefined): Promise<unknown> {
  let result: unknown;
  await waitUntil(async () => {
    const job = jobId ? await h.queues.zoomEvents.getJob(jobId) : undefined;
    const state = await job?.getState();
    if (state === "failed") throw new Error(`zoom-events job failed: ${job?.failedReason}`);
    result = job?.returnvalue;
    return state === "completed";
  }, 15_000);
  return result;
}
