// First-start configuration from the seed sample's .env names: the default team's Zoom app and meeting.
// Upserts, so a restart with the same env changes nothing, and a changed env (rotated secret, new
// passcode) is applied. Values not given in env are left as the portal set them.
import { type Db, encryptSecret, type Keyring, SecretContext } from "@capture/db";
import type { Env } from "./env.ts";
import type { Logger } from "./logger.ts";

export interface BootstrapResult {
  teamId: string;
  zoomAppId?: string;
  meetingId?: string;
}

export async function bootstrapDefaultTeam(
  db: Db,
  env: Env,
  keyring: Keyring,
  log: Logger,
): Promise<BootstrapResult> {
  try {
    return await bootstrapOnce(db, env, keyring, log);
  } catch (err) {
    // Several replicas starting together race on the same upserts (Prisma's upsert is read-then-write);
    // the loser's second pass finds the rows and updates them.
    if ((err as { code?: string }).code !== "P2002") throw err;
    return bootstrapOnce(db, env, keyring, log);
  }
}

async function bootstrapOnce(db: Db, env: Env, keyring: Keyring, log: Logger): Promise<BootstrapResult> {
  const team = await db.team.upsert({
    where: { slug: env.DEFAULT_TEAM_SLUG },
    create: { slug: env.DEFAULT_TEAM_SLUG, name: env.DEFAULT_TEAM_SLUG },
    update: {},
  });
  const result: BootstrapResult = { teamId: team.id };

  if (env.ZOOM_CLIENT_ID && env.ZOOM_CLIENT_SECRET) {
    const fields = {
      clientId: env.ZOOM_CLIENT_ID,
      clientSecretEnc: encryptSecret(keyring, env.ZOOM_CLIENT_SECRET, SecretContext.clientSecret),
      ...(env.ZOOM_SECRET_TOKEN
        ? {
            webhookSecretTokenEnc: encryptSecret(
              keyring,
              env.ZOOM_SECRET_TOKEN,
              SecretContext.webhookSecretToken,
            ),
          }
        : {}),
      ...(env.S2S_ZOOM_CLIENT_ID && env.S2S_ZOOM_CLIENT_SECRET
        ? {
            s2sAccountId: env.ZOOM_ACCOUNT_ID,
            s2sClientId: env.S2S_ZOOM_CLIENT_ID,
            s2sClientSecretEnc: encryptSecret(
              keyring,
              env.S2S_ZOOM_CLIENT_SECRET,
              SecretContext.s2sClientSecret,
            ),
          }
        : {}),
      ...(env.ZOOM_EVENT_WS_BASE ? { eventWsUrl: env.ZOOM_EVENT_WS_BASE } : {}),
    };
    const app = await db.zoomApp.upsert({
      where: { teamId: team.id },
      create: { teamId: team.id, ...fields },
      update: fields,
    });
    result.zoomAppId = app.id;
  }

  if (env.ZOOM_MEETING_NUMBER) {
    const passcodeEnc = env.ZOOM_MEETING_PASSCODE
      ? encryptSecret(keyring, env.ZOOM_MEETING_PASSCODE, SecretContext.meetingPasscode)
      : undefined;
    // The seed sample captures the active speaker; CAPTURE_VIDEO_MODE=everyone covers every camera instead.
    const captureMode = env.CAPTURE_VIDEO_MODE === "everyone" ? "EVERYONE" : "SPEAKER";
    const meeting = await db.meeting.upsert({
      where: { teamId_meetingNumber: { teamId: team.id, meetingNumber: env.ZOOM_MEETING_NUMBER } },
      create: {
        teamId: team.id,
        meetingNumber: env.ZOOM_MEETING_NUMBER,
        name: `Meeting ${env.ZOOM_MEETING_NUMBER}`,
        passcodeEnc,
        captureMode,
      },
      // Set explicitly, the variable wins on every start; unset, a mode chosen in the portal stays.
      update: { ...(passcodeEnc ? { passcodeEnc } : {}), ...(env.CAPTURE_VIDEO_MODE ? { captureMode } : {}) },
    });
    result.meetingId = meeting.id;
  }
  log.info(
    {
      teamSlug: env.DEFAULT_TEAM_SLUG,
      zoomApp: Boolean(result.zoomAppId),
      meeting: Boolean(result.meetingId),
    },
    "default team bootstrapped from env",
  );
  return result;
}
