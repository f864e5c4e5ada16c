// A team's Zoom credentials, decrypted at the moment they are needed and never written anywhere else
// (not into Redis, not into logs). REST clients are cached per team and rebuilt when the secret changes,
// so each keeps its S2S token cache.
import { type Db, decryptSecret, type Keyring, SecretContext } from "@capture/db";
import { AccountCredentialsTokenSource, type TokenSource, ZoomApiClient } from "@capture/rtms-core/zoom-api";
import type { Logger } from "./logger.ts";

export interface RtmsCredentials {
  clientId: string;
  clientSecret: string;
}

export class WorkerError extends Error {
  override readonly name = "WorkerError";
  constructor(
    readonly code: "NO_ZOOM_APP" | "NO_S2S_CREDENTIALS" | "NO_MEETING",
    message: string,
  ) {
    super(message);
  }
}

export interface ZoomAppsOptions {
  db: Db;
  keyring: Keyring;
  apiBase: string;
  oauthBase: string;
  log: Logger;
}

export class ZoomApps {
  readonly #o: ZoomAppsOptions;
  readonly #clients = new Map<string, { fingerprint: string; client: ZoomApiClient; tokens: TokenSource }>();

  constructor(options: ZoomAppsOptions) {
    this.#o = options;
  }

  async rtmsCredentials(teamId: string): Promise<RtmsCredentials> {
    const app = await this.#o.db.zoomApp.findUnique({ where: { teamId } });
    if (!app) throw new WorkerError("NO_ZOOM_APP", `team ${teamId} has no Zoom app configured`);
    return {
      clientId: app.clientId,
      clientSecret: decryptSecret(this.#o.keyring, app.clientSecretEnc, SecretContext.clientSecret),
    };
  }

  /** The team's REST client. Single-attempt: BullMQ owns retries and sees every 429 with its Retry-After. */
  async api(teamId: string): Promise<ZoomApiClient> {
    return (await this.#entry(teamId)).client;
  }

  async #entry(teamId: string) {
    const app = await this.#o.db.zoomApp.findUnique({ where: { teamId } });
    if (!app?.s2sClientId || !app.s2sClientSecretEnc || !app.s2sAccountId) {
      throw new WorkerError("NO_S2S_CREDENTIALS", `team ${teamId} has no Server-to-Server app configured`);
    }
    const fingerprint = `${app.s2sAccountId}|${app.s2sClientId}|${app.s2sClientSecretEnc}`;
    const cached = this.#clients.get(teamId);
    if (cached?.fingerprint === fingerprint) return cached;
    const logger = this.#o.log.child({ teamId, component: "zoom-api" });
    const credentials = {
      oauthBase: this.#o.oauthBase,
      accountId: app.s2sAccountId,
      clientId: app.s2sClientId,
      clientSecret: decryptSecret(this.#o.keyring, app.s2sClientSecretEnc, SecretContext.s2sClientSecret),
      logger,
    };
    const tokens = new AccountCredentialsTokenSource(credentials);
    const client = new ZoomApiClient({
      ...credentials,
      apiBase: this.#o.apiBase,
      maxRetries: 0,
      tokenSource: tokens,
    });
    const entry = { fingerprint, client, tokens };
    this.#clients.set(teamId, entry);
    return entry;
  }

  async meetingPasscode(meetingId: string): Promise<string | undefined> {
    const meeting = await this.#o.db.meeting.findUnique({ where: { id: meetingId } });
    if (!meeting) throw new WorkerError("NO_MEETING", `meeting ${meetingId} does not exist`);
    return meeting.passcodeEnc
      ? decryptSecret(this.#o.keyring, meeting.passcodeEnc, SecretContext.meetingPasscode)
      : undefined;
  }

  /**
   * Per team with S2S credentials: can it get a token? One team's bad credentials are that team's problem
   * (a metric and its settings page), never the worker's readiness.
   */
  async checkTokens(): Promise<{ teamId: string; ok: boolean; error?: string }[]> {
    const apps = await this.#o.db.zoomApp.findMany({
      where: { s2sClientId: { not: null } },
      select: { teamId: true },
    });
    const results: { teamId: string; ok: boolean; error?: string }[] = [];
    for (const { teamId } of apps) {
      try {
        // Cached until a minute before expiry: a periodic check does not hammer the OAuth endpoint.
        await (await this.#entry(teamId)).tokens.getToken();
        results.push({ teamId, ok: true });
      } catch (err) {
        results.push({ teamId, ok: false, error: (err as Error).message });
      }
    }
    return results;
  }
}
