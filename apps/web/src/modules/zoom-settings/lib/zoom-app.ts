// A team's Zoom app settings. Secrets are write-only: the view model says only whether each one is set,
// and a blank secret field on save keeps the stored value. Everything secret is encrypted before it is
// written (AES-GCM, bound to its column) and decrypted only where it is used.
import { type Db, decryptSecret, encryptSecret, type Keyring, SecretContext } from "@capture/db";
import { ZoomApiClient, ZoomApiError } from "@capture/rtms-core/zoom-api";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import type { Member } from "~/modules/teams/lib/membership.ts";
import { requireRole } from "~/modules/teams/lib/membership.ts";
import { AppError } from "~/server/errors.ts";
import { validationError } from "~/server/validation.ts";

const optionalText = (max: number) =>
  z
    .string()
    .default("")
    .transform((s) => s.trim())
    .pipe(z.string().max(max))
    .transform((s) => (s === "" ? null : s));
/** Blank = keep what is stored. */
const secretField = z
  .string()
  .max(500)
  .default("")
  .transform((s) => (s.trim() === "" ? undefined : s.trim()));

export const ZoomAppInput = z.object({
  clientId: z.string().trim().min(1, "The RTMS app's client id is required").max(200),
  clientSecret: secretField,
  webhookSecretToken: secretField,
  s2sAccountId: optionalText(200),
  s2sClientId: optionalText(200),
  s2sClientSecret: secretField,
  eventWsUrl: optionalText(2000).refine(
    (s) => s === null || /^wss?:\/\/[^\s]+$/.test(s),
    "The event WebSocket URL starts with wss:// (or ws:// for a local simulator)",
  ),
});
export type ZoomAppInput = z.input<typeof ZoomAppInput>;

/** What the browser may see: no secret, not even encrypted. */
export interface ZoomAppView {
  clientId: string;
  hasClientSecret: boolean;
  hasWebhookSecretToken: boolean;
  s2sAccountId: string | null;
  s2sClientId: string | null;
  hasS2sClientSecret: boolean;
  eventWsUrl: string | null;
  updatedAt: Date;
}

export async function getZoomAppView(db: Db, teamId: string): Promise<ZoomAppView | null> {
  const app = await db.zoomApp.findUnique({ where: { teamId } });
  if (!app) return null;
  return {
    clientId: app.clientId,
    hasClientSecret: Boolean(app.clientSecretEnc),
    hasWebhookSecretToken: Boolean(app.webhookSecretTokenEnc),
    s2sAccountId: app.s2sAccountId,
    s2sClientId: app.s2sClientId,
    hasS2sClientSecret: Boolean(app.s2sClientSecretEnc),
    eventWsUrl: app.eventWsUrl,
    updatedAt: app.updatedAt,
  };
}

export async function saveZoomApp(
  deps: { db: Db; keyring: Keyring },
  actor: Member,
  raw: unknown,
  ip?: string | null,
): Promise<ZoomAppView> {
  requireRole(actor, "ADMIN");
  const parsed = ZoomAppInput.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error);
  const input = parsed.data;
  const existing = await deps.db.zoomApp.findUnique({ where: { teamId: actor.teamId } });
  if (!existing && !input.clientSecret) {
    throw new AppError("VALIDATION", "The RTMS app's client secret is required", { field: "clientSecret" });
  }
  const enc = (value: string | undefined, context: string) =>
    value === undefined ? undefined : encryptSecret(deps.keyring, value, context);
  const secrets = {
    clientSecretEnc: enc(input.clientSecret, SecretContext.clientSecret),
    webhookSecretTokenEnc: enc(input.webhookSecretToken, SecretContext.webhookSecretToken),
    s2sClientSecretEnc: enc(input.s2sClientSecret, SecretContext.s2sClientSecret),
  };
  const plain = {
    clientId: input.clientId,
    s2sAccountId: input.s2sAccountId,
    s2sClientId: input.s2sClientId,
    eventWsUrl: input.eventWsUrl,
  };
  const changedSecrets = Object.entries(secrets)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k.replace(/Enc$/, ""));
  await deps.db.$transaction(async (tx) => {
    if (existing) {
      await tx.zoomApp.update({ where: { teamId: actor.teamId }, data: { ...plain, ...secrets } });
    } else {
      await tx.zoomApp.create({
        data: { teamId: actor.teamId, ...plain, ...secrets, clientSecretEnc: secrets.clientSecretEnc! },
      });
    }
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "zoom_app.update",
      targetType: "zoom_app",
      targetId: actor.teamId,
      // Names of the changed secrets only, never values.
      data: { ...plain, secretsChanged: changedSecrets },
      ip,
    });
  });
  return (await getZoomAppView(deps.db, actor.teamId))!;
}

export function webhookUrl(publicBaseUrl: string, teamId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, "")}/api/zoom/webhook/${encodeURIComponent(teamId)}`;
}

/** Builds the team's REST client from its S2S credentials, or says which one is missing. */
export async function zoomClientForTeam(
  deps: { db: Db; keyring: Keyring; apiBase: string; oauthBase: string },
  teamId: string,
): Promise<ZoomApiClient> {
  const app = await deps.db.zoomApp.findUnique({ where: { teamId } });
  if (!app?.s2sAccountId || !app.s2sClientId || !app.s2sClientSecretEnc) {
    throw new AppError("ZOOM_NOT_CONFIGURED", "Set the S2S account id, client id and client secret first");
  }
  return new ZoomApiClient({
    apiBase: deps.apiBase,
    oauthBase: deps.oauthBase,
    accountId: app.s2sAccountId,
    clientId: app.s2sClientId,
    clientSecret: decryptSecret(deps.keyring, app.s2sClientSecretEnc, SecretContext.s2sClientSecret),
    maxRetries: 0,
    timeoutMs: 5000,
  });
}

export type ConnectionTestResult =
  | { ok: true; roomCount: number; rooms: { id: string; name: string; status: string | null }[] }
  | { ok: false; code: string; message: string };

/** "Test connection": gets an S2S token and lists the account's rooms. Audited either way. */
export async function testZoomConnection(
  deps: { db: Db; keyring: Keyring; apiBase: string; oauthBase: string },
  actor: Member,
): Promise<ConnectionTestResult> {
  requireRole(actor, "ADMIN");
  let result: ConnectionTestResult;
  try {
    const client = await zoomClientForTeam(deps, actor.teamId);
    const rooms = await client.listRooms();
    result = {
      ok: true,
      roomCount: rooms.length,
      rooms: rooms.slice(0, 20).map((r) => ({ id: r.id, name: r.name, status: r.status ?? null })),
    };
  } catch (err) {
    if (err instanceof ZoomApiError) {
      result = { ok: false, code: err.code, message: err.zoomMessage ?? err.message };
    } else if (err instanceof AppError) {
      result = { ok: false, code: err.code, message: err.message };
    } else {
      throw err;
    }
  }
  await recordAudit(deps.db, {
    teamId: actor.teamId,
    actorUserId: actor.userId,
    action: "zoom_app.test_connection",
    data: result.ok ? { ok: true, roomCount: result.roomCount } : { ok: false, code: result.code },
  });
  return result;
}
