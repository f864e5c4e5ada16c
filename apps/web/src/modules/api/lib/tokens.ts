// API tokens of a team: created by admins (the secret is shown once), listed, revoked, and checked on every
// API request. Only sha256(secret) is stored: the secret is 32 random bytes, so a fast hash leaves nothing
// to guess, and a lookup by hash needs no per-row salt.
import { createHash, randomBytes } from "node:crypto";
import type { ApiScope, Db } from "@capture/db";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { type Member, requireRole } from "~/modules/teams/lib/membership.ts";
import { AppError } from "~/server/errors.ts";
import { parseInput } from "~/server/validation.ts";

/** Recognisable in logs and secret scanners; never a valid cuid, so a token is never mistaken for an id. */
export const TOKEN_PREFIX = "cap_";
const PREFIX_SHOWN = TOKEN_PREFIX.length + 8;

export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

export const TokenInput = z.object({
  name: z.string().trim().min(1, "Give the token a name").max(100, "Names are at most 100 characters"),
  scopes: z
    .array(z.enum(["READ", "WRITE"]))
    .min(1, "Pick at least one scope")
    .transform((s) => [...new Set(s)] as ApiScope[]),
  /** Days until it expires; absent = never. */
  expiresInDays: z.coerce.number().int().min(1).max(3650).optional(),
});

export interface CreatedToken {
  id: string;
  name: string;
  /** The whole secret: shown once, never stored or readable again. */
  token: string;
  prefix: string;
  scopes: ApiScope[];
  expiresAt: Date | null;
}

export async function createApiToken(
  db: Db,
  actor: Member,
  raw: unknown,
  opts: { ip?: string | null; now?: Date } = {},
): Promise<CreatedToken> {
  requireRole(actor, "ADMIN");
  const input = parseInput(TokenInput, raw);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const now = opts.now ?? new Date();
  const expiresAt =
    input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000);
  const row = await db.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: {
        teamId: actor.teamId,
        name: input.name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, PREFIX_SHOWN),
        scopes: input.scopes,
        expiresAt,
        createdByUserId: actor.userId,
      },
    });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "api_token.create",
      targetType: "api_token",
      targetId: created.id,
      data: { name: input.name, scopes: input.scopes, expiresAt: expiresAt?.toISOString() ?? null },
      ip: opts.ip ?? null,
    });
    return created;
  });
  return { id: row.id, name: row.name, token, prefix: row.prefix, scopes: row.scopes, expiresAt };
}

export async function listApiTokens(db: Db, teamId: string) {
  return db.apiToken.findMany({
    where: { teamId },
    select: {
      id: true,
      name: true,
      prefix: true,
      scopes: true,
      expiresAt: true,
      lastUsedAt: true,
      revokedAt: true,
      createdAt: true,
      createdBy: { select: { name: true } },
    },
    orderBy: { createdAt: "desc" },
  });
}

export async function revokeApiToken(db: Db, actor: Member, id: string, ip?: string | null) {
  requireRole(actor, "ADMIN");
  const token = await db.apiToken.findFirst({ where: { id, teamId: actor.teamId } });
  if (!token) throw new AppError("NOT_FOUND", "No such token");
  if (token.revokedAt) return;
  await db.$transaction(async (tx) => {
    await tx.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "api_token.revoke",
      targetType: "api_token",
      targetId: id,
      data: { name: token.name },
      ip: ip ?? null,
    });
  });
}

/** Who an API request is: the token and the team it acts for. */
export interface ApiPrincipal {
  tokenId: string;
  teamId: string;
  teamName: string;
  scopes: ApiScope[];
  createdByUserId: string | null;
}

/**
 * The principal behind `Authorization: Bearer <token>`, or UNAUTHENTICATED. Missing, unknown, revoked and
 * expired tokens all answer the same 401 body, so a probe learns nothing about which it hit.
 */
export async function authenticateBearer(
  db: Db,
  authorization: string | null,
  now = new Date(),
): Promise<ApiPrincipal> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "");
  const token = match?.[1];
  if (!token?.startsWith(TOKEN_PREFIX) || token.length > 200) throw unauthenticated();
  const row = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { team: { select: { name: true } } },
  });
  if (!row || row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= now)) {
    throw unauthenticated();
  }
  return {
    tokenId: row.id,
    teamId: row.teamId,
    teamName: row.team.name,
    scopes: row.scopes,
    createdByUserId: row.createdByUserId,
  };
}

const unauthenticated = () =>
  new AppError("UNAUTHENTICATED", "A valid API token is required (Authorization: Bearer cap_...)");

export function requireScope(p: ApiPrincipal, scope: ApiScope): void {
  if (!p.scopes.includes(scope)) {
    throw new AppError("FORBIDDEN", `This token lacks the ${scope.toLowerCase()} scope`);
  }
}

/**
 * The portal's library functions take a Member; a write token acts as an admin of its team, in the name
 * of the admin who created it (so audit rows name a person).
 */
export function principalAsMember(p: ApiPrincipal): Member {
  if (!p.createdByUserId) {
    throw new AppError("FORBIDDEN", "The admin who created this token is gone; create a new one");
  }
  return {
    userId: p.createdByUserId,
    userName: "API token",
    userEmail: "",
    teamId: p.teamId,
    teamName: p.teamName,
    role: "ADMIN",
    teams: [{ id: p.teamId, name: p.teamName, role: "ADMIN" }],
  };
}
