import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { urlValidationResponse, verifyWebhookSignature } from "@capture/rtms-core/webhook";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startZoomSim, type ZoomSim, ZoomSimError } from "../src/index.ts";

interface Received {
  headers: IncomingMessage["headers"];
  raw: string;
}

/** A real HTTP receiver on 127.0.0.1 that answers URL validation like our web app would (or wrongly). */
async function receiver(secret: string, opts: { wrongValidation?: boolean; status?: number } = {}) {
  const received: Received[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    received.push({ headers: req.headers, raw });
    const body = JSON.parse(raw) as { event: string; payload: { plainToken?: string } };
    if (body.event === "endpoint.url_validation") {
      const answer = urlValidationResponse(
        opts.wrongValidation ? "wrong" : secret,
        body.payload.plainToken ?? "",
      );
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
      return;
    }
    res.writeHead(opts.status ?? 200).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/zoom/webhook/team-1`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("webhook sender", () => {
  let sim: ZoomSim;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    sim = await startZoomSim({ webhookSecretToken: "whsec-test", webhookRetryDelaysMs: [50] });
  });
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
    for (const t of sim.webhooks.targets) sim.webhooks.removeTarget(t.url);
  });
  afterAll(() => sim.close());

  it("validates the URL first, then posts events whose signature verifies", async () => {
    const r = await receiver("whsec-test");
    closers.push(r.close);
    const target = await sim.webhooks.addTarget(r.url);
    expect(target.state).toBe("ready");
    expect(sim.consumerReady).toBe(true);
    const meeting = sim.createMeeting({ number: "81234567890" });
    const delivered = sim.waitFor(
      "webhook-delivered",
      (d: { event: string }) => d.event === "meeting.rtms_started",
    );
    const info = await meeting.startRtms();
    expect(await delivered).toMatchObject({ ok: true, status: 200 });
    const got = r.received.find((x) => x.raw.includes("meeting.rtms_started"))!;
    const check = verifyWebhookSignature({
      secretToken: "whsec-test",
      timestampHeader: got.headers["x-zm-request-timestamp"],
      signatureHeader: got.headers["x-zm-signature"],
      rawBody: got.raw,
    });
    expect(check.ok).toBe(true);
    const body = JSON.parse(got.raw) as { event: string; payload: Record<string, unknown> };
    // Flat payload, server_urls one string.
    expect(body.payload).toMatchObject({
      rtms_stream_id: info.streamId,
      meeting_uuid: meeting.uuid,
      server_urls: info.serverUrls,
    });

    const dup = sim.waitFor("webhook-delivered");
    expect(sim.webhooks.redeliver("meeting.rtms_started")).toBe(1);
    await dup;
    expect(r.received.filter((x) => x.raw.includes("meeting.rtms_started"))).toHaveLength(2);
    meeting.stopRtms();
  });

  it("refuses a target whose validation answer is wrong", async () => {
    const r = await receiver("whsec-test", { wrongValidation: true });
    closers.push(r.close);
    const err = await sim.webhooks.addTarget(r.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZoomSimError);
    expect((err as ZoomSimError).code).toBe("WEBHOOK_VALIDATION_FAILED");
    expect(sim.webhooks.targets[0]?.state).toBe("failed");
  });

  it("redelivers a failed delivery on the retry schedule", async () => {
    const r = await receiver("whsec-test", { status: 500 });
    closers.push(r.close);
    await sim.webhooks.addTarget(r.url);
    const second = sim.waitFor("webhook-delivered", (d: { attempt: number }) => d.attempt === 2);
    sim.publish({
      event: "meeting.rtms_stopped",
      event_ts: Date.now(),
      payload: { rtms_stream_id: "x", stop_reason: 6 },
    });
    expect(await second).toMatchObject({ ok: false, status: 500 });
  });
});
