// The handshake SignalingClient and MediaClient share (src/session/client-socket.ts), through each client:
// accepted, refused (the error names the socket and carries the status) and unanswered (timeout, socket
// terminated), against the scripted server on 127.0.0.1. The unanswered case runs on a ManualClock.
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../src/logger.ts";
import { MediaType } from "../src/protocol/index.ts";
import { ManualClock } from "../src/session/clock.ts";
import { MediaClient } from "../src/session/media.ts";
import { toMediaParams } from "../src/session/options.ts";
import { SignalingClient } from "../src/session/signaling.ts";
import {
  type FakeRtmsServer,
  fakeServerPool,
  LOOPBACK_HOSTS,
  TEST_CREDENTIALS,
} from "./support/fake-rtms-server.ts";

const credentials = TEST_CREDENTIALS;
const servers = fakeServerPool();
const server = servers.start;
const clients: (SignalingClient | MediaClient)[] = [];

function signaling(srv: FakeRtmsServer, extra: { clock?: ManualClock; handshakeTimeoutMs?: number } = {}) {
  const c = new SignalingClient({
    url: srv.signalingUrl,
    credentials,
    logger: silentLogger,
    allowedHosts: LOOPBACK_HOSTS,
    ...extra,
  });
  clients.push(c);
  return c;
}

function media(srv: FakeRtmsServer, extra: { clock?: ManualClock; handshakeTimeoutMs?: number } = {}) {
  const c = new MediaClient({
    url: srv.mediaUrls.all!,
    credentials,
    mediaType: MediaType.ALL,
    mediaParams: toMediaParams(),
    logger: silentLogger,
    allowedHosts: LOOPBACK_HOSTS,
    ...extra,
  });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await servers.closeAll();
});

describe("client socket handshake", () => {
  it("resolves with what each accepted answer carries: media URLs for signaling, params for media", async () => {
    const srv = await server();
    const params = toMediaParams();
    await expect(signaling(srv).connect()).resolves.toEqual(srv.mediaUrls);
    await expect(media(srv).connect()).resolves.toEqual(params);
    expect(srv.messages("signaling", 1)).toHaveLength(1);
    expect(srv.messages("media", 3)[0]).toMatchObject({ media_type: MediaType.ALL, media_params: params });
  });

  it("rejects a refused handshake with the socket's name and the status, and closes the socket", async () => {
    const srv = await server({ signalingStatus: () => 3, mediaStatus: () => 8 });
    const sig = signaling(srv);
    await expect(sig.connect()).rejects.toMatchObject({
      code: "HANDSHAKE_REJECTED",
      message: expect.stringMatching(/^signaling handshake rejected: /),
      status: { kind: "invalid_signature" },
    });
    const med = media(srv);
    await expect(med.connect()).rejects.toMatchObject({
      code: "HANDSHAKE_REJECTED",
      message: expect.stringMatching(/^media handshake rejected: /),
      status: { code: 8 },
    });
    await sig.whenClosed();
    await med.whenClosed();
    expect(sig.isOpen).toBe(false);
    expect(med.isOpen).toBe(false);
  });

  for (const which of ["signaling", "media"] as const) {
    it(`times out an unanswered ${which} handshake and drops the socket`, async () => {
      const srv = await server({ silent: true });
      const clock = new ManualClock();
      const client =
        which === "signaling"
          ? signaling(srv, { clock, handshakeTimeoutMs: 2_000 })
          : media(srv, { clock, handshakeTimeoutMs: 2_000 });
      const connecting = client.connect();
      const request = which === "signaling" ? 1 : 3;
      // The answer is awaited from before the request is sent, so once the server has it the timer runs.
      await srv.waitFor(() => srv.messages(which, request).length === 1, `msg ${request}`);
      clock.advance(2_000);
      await expect(connecting).rejects.toMatchObject({
        code: "HANDSHAKE_TIMEOUT",
        message: `no ${which} handshake response within 2000 ms`,
      });
      await client.whenClosed();
      expect(client.isOpen).toBe(false);
    });
  }
});
