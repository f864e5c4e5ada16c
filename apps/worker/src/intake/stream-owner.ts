// Which team owns a stream id. The first team whose rtms_started names it claims it in Redis (before any
// session row exists: two teams' jobs could otherwise race for the row); once the session row exists, its
// teamId says it for good. CaptureSession.rtmsStreamId is unique across teams, so a stream id can only
// ever be one team's.
import type { Db } from "@capture/db";
import type { Redis } from "ioredis";

/** Longer than any session (MAX_SESSION_HOURS tops out far below): by then the row says it anyway. */
const CLAIM_TTL_MS = 48 * 3600 * 1000;

export interface ForeignStream {
  /** The owning team, when known (an audit row is written for it). */
  ownerTeamId?: string;
  seenIn: "session" | "claim";
}

interface OwnerDeps {
  db: Db;
  redis: Redis;
  keyPrefix: string;
}

export function streamOwnerKey(keyPrefix: string, rtmsStreamId: string): string {
  return `${keyPrefix}:rtms-owner:${Buffer.from(rtmsStreamId, "utf8").toString("base64url")}`;
}

async function sessionOwner(db: Db, rtmsStreamId: string): Promise<string | undefined> {
  const row = await db.captureSession.findUnique({ where: { rtmsStreamId }, select: { teamId: true } });
  return row?.teamId;
}

/** Undefined when `teamId` may act on the stream (it owns it, or nobody does yet). Claims nothing. */
export async function streamOwnerCheck(
  deps: OwnerDeps,
  teamId: string,
  rtmsStreamId: string,
): Promise<ForeignStream | undefined> {
  const owner = await sessionOwner(deps.db, rtmsStreamId);
  if (owner !== undefined) return owner === teamId ? undefined : { ownerTeamId: owner, seenIn: "session" };
  const claimed = await deps.redis.get(streamOwnerKey(deps.keyPrefix, rtmsStreamId));
  return claimed === null || claimed === teamId ? undefined : { ownerTeamId: claimed, seenIn: "claim" };
}

/** As streamOwnerCheck, and claims the stream for `teamId` when nobody owns it yet. */
export async function claimStream(
  deps: OwnerDeps,
  teamId: string,
  rtmsStreamId: string,
): Promise<ForeignStream | undefined> {
  const owner = await sessionOwner(deps.db, rtmsStreamId);
  if (owner !== undefined) return owner === teamId ? undefined : { ownerTeamId: owner, seenIn: "session" };
  const key = streamOwnerKey(deps.keyPrefix, rtmsStreamId);
  const set = await deps.redis.set(key, teamId, "PX", CLAIM_TTL_MS, "NX");
  if (set === "OK") return undefined;
  const claimed = await deps.redis.get(key);
  return claimed === null || claimed === teamId ? undefined : { ownerTeamId: claimed, seenIn: "claim" };
}
