// OAuth access tokens from zoom.us/oauth/token, cached until a minute before expiry. Two grants share
// this code: account_credentials (Server-to-Server app, for the REST API) and client_credentials (the
// general app, for the event WebSocket).
import { z } from "zod";
import { ZoomApiError } from "./errors.ts";
import { errorFromResponse, fetchWithTimeout, type HttpDeps, readJson, resolveHttpDeps } from "./http.ts";

export interface AccessToken {
  accessToken: string;
  /** Epoch ms at which Zoom stops accepting the token. */
  expiresAtMs: number;
  scope?: string;
}

/** What the REST client and the event WebSocket need from a token provider. */
export interface TokenSource {
  /** A token valid for at least the refresh margin; concurrent callers share one request. */
  getToken(): Promise<AccessToken>;
  /** Drops the cached token (only if it is still `accessToken`, when given) so the next call fetches anew. */
  invalidate(accessToken?: string): void;
}

export type OAuthGrant = { type: "account_credentials"; accountId: string } | { type: "client_credentials" };

export interface OAuthTokenSourceOptions extends HttpDeps {
  /** Default https://zoom.us */
  oauthBase?: string;
  clientId: string;
  clientSecret: string;
  grant: OAuthGrant;
  /** Refresh this long before expiry (bounded to half the token's lifetime). Default 60 000 ms. */
  refreshMarginMs?: number;
}

const TokenResponse = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
});

export class OAuthTokenSource implements TokenSource {
  readonly #options: OAuthTokenSourceOptions;
  readonly #deps: ReturnType<typeof resolveHttpDeps>;
  #cached?: AccessToken & { refreshAtMs: number };
  #inFlight?: Promise<AccessToken>;

  constructor(options: OAuthTokenSourceOptions) {
    if (!options.clientId || !options.clientSecret) {
      throw new ZoomApiError("ZOOM_AUTH_FAILED", "OAuth client id and secret are required");
    }
    if (options.grant.type === "account_credentials" && !options.grant.accountId) {
      throw new ZoomApiError("ZOOM_AUTH_FAILED", "account_credentials needs an account id");
    }
    this.#options = options;
    this.#deps = resolveHttpDeps(options);
  }

  getToken(): Promise<AccessToken> {
    const cached = this.#cached;
    if (cached && this.#deps.clock() < cached.refreshAtMs) {
      return Promise.resolve({
        accessToken: cached.accessToken,
        expiresAtMs: cached.expiresAtMs,
        scope: cached.scope,
      });
    }
    if (!this.#inFlight) {
      this.#inFlight = this.#fetchToken().finally(() => {
        this.#inFlight = undefined;
      });
    }
    return this.#inFlight;
  }

  invalidate(accessToken?: string): void {
    if (accessToken === undefined || this.#cached?.accessToken === accessToken) this.#cached = undefined;
  }

  async #fetchToken(): Promise<AccessToken> {
    const { oauthBase = "https://zoom.us", clientId, clientSecret, grant } = this.#options;
    // Zoom reads the grant from the query string; the body stays empty.
    const url = new URL("/oauth/token", oauthBase);
    url.searchParams.set("grant_type", grant.type);
    if (grant.type === "account_credentials") url.searchParams.set("account_id", grant.accountId);
    const basic = Buffer.from(`${clientId}:${clientSecret}`, "utf8").toString("base64");
    const what = `OAuth token (${grant.type})`;
    const requestedAt = this.#deps.clock();
    const res = await fetchWithTimeout(
      this.#deps,
      url.toString(),
      {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
      },
      what,
    );
    if (!res.ok) {
      const error = await errorFromResponse(res, what, this.#deps.clock());
      this.#deps.logger.warn(
        { status: error.status, grant: grant.type, code: error.code },
        "zoom oauth token request failed",
      );
      // Bad credentials come back as 400 or 401 ({reason, error:"invalid_client"}): both mean "fix the app".
      if (error.code === "ZOOM_BAD_REQUEST" || error.code === "ZOOM_FORBIDDEN") {
        throw new ZoomApiError("ZOOM_AUTH_FAILED", error.message, {
          status: error.status,
          zoomCode: error.zoomCode,
          zoomMessage: error.zoomMessage,
          cause: error,
        });
      }
      throw error;
    }
    const body = await readJson(res, TokenResponse, what);
    const lifetimeMs = body.expires_in * 1000;
    const margin = Math.min(this.#options.refreshMarginMs ?? 60_000, lifetimeMs / 2);
    const token = {
      accessToken: body.access_token,
      expiresAtMs: requestedAt + lifetimeMs,
      scope: body.scope,
    };
    this.#cached = { ...token, refreshAtMs: token.expiresAtMs - margin };
    this.#deps.logger.debug(
      { grant: grant.type, expiresInSec: body.expires_in },
      "zoom oauth token obtained",
    );
    return token;
  }
}

/** Server-to-Server OAuth token for the REST API (grant_type=account_credentials). */
export class AccountCredentialsTokenSource extends OAuthTokenSource {
  constructor(options: Omit<OAuthTokenSourceOptions, "grant"> & { accountId: string }) {
    const { accountId, ...rest } = options;
    super({ ...rest, grant: { type: "account_credentials", accountId } });
  }
}

/** App token for the event WebSocket (grant_type=client_credentials). */
export class ClientCredentialsTokenSource extends OAuthTokenSource {
  constructor(options: Omit<OAuthTokenSourceOptions, "grant">) {
    super({ ...options, grant: { type: "client_credentials" } });
  }
}
