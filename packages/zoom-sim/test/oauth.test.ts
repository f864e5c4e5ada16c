import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startZoomSim, type ZoomSim } from "../src/index.ts";
import { basic, delay } from "./helpers.ts";

describe("OAuth token endpoint", () => {
  let sim: ZoomSim;
  beforeAll(async () => {
    sim = await startZoomSim({ tokenTtlMs: 300 });
  });
  afterAll(() => sim.close());

  const token = (query: string, auth?: string, init: RequestInit = {}) =>
    fetch(`${sim.urls.oauthBase}/oauth/token?${query}`, {
      method: "POST",
      ...init,
      headers: { ...(auth ? { authorization: auth } : {}), ...(init.headers as Record<string, string>) },
    });

  it("issues an S2S token for account_credentials in the query string with Basic auth and no body", async () => {
    const { accountId, clientId, clientSecret } = sim.options.s2s;
    const res = await token(
      `grant_type=account_credentials&account_id=${accountId}`,
      basic(clientId, clientSecret),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "bearer", expires_in: 1, api_url: sim.urls.apiBase });
    expect(typeof body.access_token).toBe("string");
  });

  it("issues a client_credentials token, also when the grant comes form-encoded", async () => {
    const { clientId, clientSecret } = sim.options.rtmsApp;
    const q = await token("grant_type=client_credentials", basic(clientId, clientSecret));
    expect(q.status).toBe(200);
    const form = await token("", basic(clientId, clientSecret), {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(form.status).toBe(200);
  });

  it("answers Zoom's invalid_client body for bad credentials and rejects a wrong account id", async () => {
    const bad = await token("grant_type=client_credentials", basic("nope", "nope"));
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({
      reason: "Invalid client_id or client_secret",
      error: "invalid_client",
    });
    const { clientId, clientSecret } = sim.options.s2s;
    const wrongAccount = await token(
      "grant_type=account_credentials&account_id=other",
      basic(clientId, clientSecret),
    );
    expect(wrongAccount.status).toBe(400);
    const s2sAsClient = await token("grant_type=client_credentials", basic(clientId, clientSecret));
    expect(s2sAsClient.status).toBe(401);
  });

  it("rejects expired tokens on the REST API with 401 code 124", async () => {
    const { accountId, clientId, clientSecret } = sim.options.s2s;
    const res = await token(
      `grant_type=account_credentials&account_id=${accountId}`,
      basic(clientId, clientSecret),
    );
    const { access_token } = (await res.json()) as { access_token: string };
    const call = () =>
      fetch(`${sim.urls.apiBase}/v2/rooms`, { headers: { authorization: `Bearer ${access_token}` } });
    expect((await call()).status).toBe(200);
    await delay(350);
    const expired = await call();
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ code: 124, message: "Invalid access token." });
  });

  it("slows down under the slow-token fault", async () => {
    sim.faults.slowToken(200);
    const started = Date.now();
    const { clientId, clientSecret } = sim.options.rtmsApp;
    const res = await token("grant_type=client_credentials", basic(clientId, clientSecret));
    sim.faults.slowToken(0);
    expect(res.status).toBe(200);
    // The fault is a delay we asked for, not a speed measurement: it must have been applied.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});
