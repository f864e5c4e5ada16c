// Faults as data: the scenario timeline and the /_sim/faults route both describe a fault with this schema
// and run it through applyFault, so the two can never drift apart.
import { z } from "zod";
import { ZoomSimError } from "./errors.ts";
import type { FaultTarget } from "./sim-control.ts";

const streamTarget = { streamId: z.string().optional() };
const on = z.boolean().default(true);
const wsUrl = z.string().regex(/^wss?:\/\/\S+$/, "a ws:// or wss:// URL");

export const faultCommandSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("drop-media"), ...streamTarget }),
  z.object({ type: z.literal("drop-signaling"), ...streamTarget }),
  z.object({ type: z.literal("drop-event-ws") }),
  z.object({ type: z.literal("keepalive"), mode: z.enum(["normal", "silent", "deaf"]) }),
  z.object({ type: z.literal("binary-json"), on: z.boolean().default(true) }),
  z.object({ type: z.literal("duplicate-rtms-started"), ...streamTarget }),
  z.object({ type: z.literal("duplicate-webhook"), event: z.string().optional() }),
  z.object({ type: z.literal("rtms-interrupted"), ...streamTarget }),
  z.object({ type: z.literal("failover"), ...streamTarget }),
  z.object({ type: z.literal("old-status-numbering"), on: z.boolean().default(true) }),
  z.object({
    type: z.literal("rate-limit"),
    count: z.number().int().positive(),
    retryAfterSec: z.number().int().nonnegative().optional(),
  }),
  z.object({ type: z.literal("slow-token"), delayMs: z.number().int().nonnegative() }),
  z.object({ type: z.literal("revoke-tokens") }),
  // Hostile input (README, "Hostile faults"); without streamId they apply to every stream.
  z.object({ type: z.literal("nul-ids"), on, ...streamTarget }),
  z.object({
    type: z.literal("non-image-frames"),
    kind: z.enum(["random", "html", "png-bomb", "normal"]),
    ...streamTarget,
  }),
  z.object({
    type: z.literal("oversized-frames"),
    bytes: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 * 1024)
      .default(11 * 1024 * 1024),
    ...streamTarget,
  }),
  z.object({
    type: z.literal("garbage-flood"),
    socket: z.enum(["signaling", "media"]),
    perSecond: z.number().int().min(0).max(100_000).default(1000),
    ...streamTarget,
  }),
  z.object({
    type: z.literal("bad-timestamps"),
    kind: z.enum(["negative", "non-numeric", "normal"]),
    ...streamTarget,
  }),
  z.object({ type: z.literal("endless-stream"), on, ...streamTarget }),
  z.object({
    type: z.literal("foreign-server-urls"),
    /** rtms_started: one new event naming `url`; media_urls: msg 2 names `url` until cleared (no url). */
    where: z.enum(["rtms_started", "media_urls"]).default("rtms_started"),
    url: wsUrl.optional(),
    ...streamTarget,
  }),
  z.object({
    type: z.literal("video-subscription-refusal"),
    userId: z.coerce.number().int().positive(),
    statusCode: z.number().int().min(0).max(255),
  }),
  z.object({ type: z.literal("clear") }),
]);
export type FaultCommand = z.input<typeof faultCommandSchema>;

/** Run one fault; returns how many things it touched (sockets, streams...), 1 for switches. */
export function applyFault(sim: FaultTarget, input: FaultCommand): number {
  const cmd = faultCommandSchema.parse(input);
  const f = sim.faults;
  /** A switch touches one thing: the simulator. */
  const set = (apply: () => void) => {
    apply();
    return 1;
  };
  switch (cmd.type) {
    case "drop-media":
      return f.dropMedia(cmd.streamId);
    case "drop-signaling":
      return f.dropSignaling(cmd.streamId);
    case "drop-event-ws":
      return sim.dropEventWsClients();
    case "keepalive":
      return set(() => f.setKeepAlive(cmd.mode));
    case "binary-json":
      return set(() => f.setBinaryJson(cmd.on));
    case "duplicate-rtms-started":
      return f.duplicateRtmsStarted(cmd.streamId);
    case "duplicate-webhook":
      return sim.webhooks.redeliver(cmd.event);
    case "rtms-interrupted":
      return f.rtmsInterrupted(cmd.streamId);
    case "failover":
      return f.failover(cmd.streamId);
    case "old-status-numbering":
      return set(() => f.setOldStatusNumbering(cmd.on));
    case "rate-limit":
      return set(() =>
        f.rateLimit(cmd.count, cmd.retryAfterSec === undefined ? {} : { retryAfterSec: cmd.retryAfterSec }),
      );
    case "slow-token":
      return set(() => f.slowToken(cmd.delayMs));
    case "revoke-tokens":
      return set(() => sim.tokens.revokeAll());
    case "nul-ids":
      return set(() => f.nulIds(cmd.on, cmd.streamId));
    case "non-image-frames":
      return set(() => f.nonImageFrames(cmd.kind, cmd.streamId));
    case "oversized-frames":
      return set(() => f.oversizedFrames(cmd.bytes, cmd.streamId));
    case "garbage-flood":
      return f.garbageFlood(cmd.socket, cmd.perSecond, cmd.streamId);
    case "bad-timestamps":
      return set(() => f.badTimestamps(cmd.kind, cmd.streamId));
    case "endless-stream":
      return set(() => f.endless(cmd.on, cmd.streamId));
    case "foreign-server-urls":
      if (cmd.where === "media_urls") return set(() => f.foreignMediaUrls(cmd.url, cmd.streamId));
      if (!cmd.url)
        throw new ZoomSimError("INVALID_ARGUMENT", "foreign-server-urls in rtms_started needs a url");
      return f.foreignServerUrls(cmd.url, cmd.streamId);
    case "video-subscription-refusal":
      return set(() => f.refuseVideoSubscription(cmd.userId, cmd.statusCode));
    case "clear":
      return set(() => f.clear());
  }
}
