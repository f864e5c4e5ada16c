// One team's Zoom event WebSocket, opened by whichever worker holds the team's lease (event-ws-leases.ts).
// Events become `zoom-events` jobs exactly like webhooks do, so both intake paths share one processor.
import type { JobQueues } from "@capture/jobs";
import { ZoomEventWsClient } from "@capture/rtms-core/event-ws";
import { ClientCredentialsTokenSource } from "@capture/rtms-core/zoom-api";
import type { Logger } from "../logger.ts";
import type { ZoomApps } from "../zoom-apps.ts";
import type { EventSubscription, TeamSubscriptionTarget } from "./event-ws-leases.ts";

export interface EventSubscriptionDeps {
  zoomApps: ZoomApps;
  oauthBase: string;
  /** Hosts the event WebSocket may dial (RTMS_ALLOWED_HOSTS). */
  allowedHosts: readonly string[];
  queues: JobQueues;
  log: Logger;
}

export async function openEventSubscription(
  target: TeamSubscriptionTarget,
  deps: EventSubscriptionDeps,
): Promise<EventSubscription> {
  const { teamId } = target;
  const credentials = await deps.zoomApps.rtmsCredentials(teamId);
  const client = new ZoomEventWsClient({
    url: target.eventWsUrl,
    tokenSource: new ClientCredentialsTokenSource({
      oauthBase: deps.oauthBase,
      ...credentials,
      logger: deps.log,
    }),
    allowedHosts: deps.allowedHosts,
    logger: deps.log,
  });
  client.on("event", (event) => {
    if (event.kind === "unknown" || event.kind === "url_validation") return;
    const payload = event.payload as { rtmsStreamId?: string };
    // The same event may also arrive by webhook or be repeated by Zoom: equal ids collapse in the queue.
    const dedupId = `${event.event}|${payload.rtmsStreamId ?? ""}|${event.eventTs}`;
    deps.queues
      .addZoomEvent(
        {
          teamId,
          source: "event-ws",
          event: event.event,
          eventTs: event.eventTs,
          payload: event.rawPayload,
          receivedAt: Date.now(),
        },
        dedupId,
      )
      .catch((err: unknown) => deps.log.error({ err, event: event.event }, "could not queue a Zoom event"));
  });
  client.on("connected", ({ reason }) => deps.log.info({ reason }, "event WebSocket connected"));
  client.on("disconnected", (d) => deps.log.warn(d, "event WebSocket disconnected"));
  client.on("error", (err) =>
    deps.log.warn({ code: err.code, message: err.message }, "event WebSocket error"),
  );
  client.start();
  return { close: () => client.close() };
}
