// zoom.us/oauth/token: client_credentials (RTMS / event-WS app) and account_credentials (S2S app). Like Zoom,
// the grant and account_id come in the QUERY string with HTTP Basic auth and no body is required; a
// form-encoded body is read as well, since some clients send one.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Faults } from "../faults.ts";
import type { ResolvedOptions } from "../options.ts";
import { basicCredentials, readBody, sendJson, sleep } from "./util.ts";

export type Grant = "client_credentials" | "account_credentials";

export interface IssuedToken {
  grant: Grant;
  clientId: string;
  expiresAt: number;
}

const INVALID_CLIENT = { reason: "Invalid client_id or client_secret", error: "invalid_client" };

export class TokenIssuer {
  readonly #tokens = new Map<string, IssuedToken>();
  #issued = 0;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly faults: Faults,
    private readonly apiUrl: () => string,
  ) {}

  /** How many tokens were issued (tests assert on caching). */
  get issuedCount(): number {
    return this.#issued;
  }

  /** The token's grant if it was issued here and has not expired. */
  verify(token: string | undefined): IssuedToken | undefined {
    if (!token) return undefined;
    const found = this.#tokens.get(token);
    if (!found) return undefined;
    if (Date.now() >= found.expiresAt) {
      this.#tokens.delete(token);
      return undefined;
    }
    return found;
  }

  /** Make every issued token invalid at once (a test of refresh-on-401). */
  revokeAll(): void {
    this.#tokens.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const delay = this.faults.tokenDelayMs;
    if (delay > 0) await sleep(delay);
    if (req.method !== "POST")
      return sendJson(res, 405, { reason: "Method Not Allowed", error: "invalid_request" });
    const params = new URLSearchParams(url.search);
    const body = await readBody(req);
    if (body && /x-www-form-urlencoded/i.test(req.headers["content-type"] ?? "")) {
      for (const [k, v] of new URLSearchParams(body)) if (!params.has(k)) params.set(k, v);
    }
    const grant = params.get("grant_type");
    const creds = basicCredentials(req);
    if (grant !== "client_credentials" && grant !== "account_credentials") {
      return sendJson(res, 400, { reason: "Unsupported grant type", error: "unsupported_grant_type" });
    }
    if (!creds) return sendJson(res, 401, INVALID_CLIENT);
    if (grant === "account_credentials") {
      const s2s = this.opts.s2s;
      if (creds.id !== s2s.clientId || creds.secret !== s2s.clientSecret)
        return sendJson(res, 401, INVALID_CLIENT);
      const accountId = params.get("account_id");
      if (!accountId) return sendJson(res, 400, { reason: "Missing account_id", error: "invalid_request" });
      if (accountId !== s2s.accountId)
        return sendJson(res, 400, { reason: "Invalid account_id", error: "invalid_request" });
    } else {
      const known = [this.opts.rtmsApp, this.opts.eventWs].some(
        (app) => app.clientId === creds.id && app.clientSecret === creds.secret,
      );
      if (!known) return sendJson(res, 401, INVALID_CLIENT);
    }
    const token = `sim.${randomBytes(24).toString("base64url")}`;
    this.#tokens.set(token, { grant, clientId: creds.id, expiresAt: Date.now() + this.opts.tokenTtlMs });
    this.#issued++;
    sendJson(res, 200, {
      access_token: token,
      token_type: "bearer",
      expires_in: Math.ceil(this.opts.tokenTtlMs / 1000),
      scope:
        grant === "account_credentials"
          ? "room:read:admin room:write:admin meeting:write:admin"
          : "rtms:read",
      api_url: this.apiUrl(),
    });
  }
}
