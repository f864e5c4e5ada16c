// The Integrations page: an API token is shown once, works, and stops working when revoked; a webhook
// endpoint is registered, validated against a receiver on 127.0.0.1 (which answers the challenge with the
// secret the page showed), receives a signed session.started from the worker, and its delivery log shows
// the answer; "Resend" sends the same event id again.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  challengeAnswer,
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from "@capture/jobs";
import { expect, test } from "@playwright/test";
import { db, env, login, USERS, waitFor } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

interface Hit {
  eventId: string;
  signed: boolean;
  body: { id?: string; type?: string; event?: string; data?: { session?: { id: string } } };
}

let server: Server;
let receiverUrl = "";
let secret = "";
const hits: Hit[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const signed = verifySignature(
        secret,
        {
          signature: req.headers[SIGNATURE_HEADER] as string,
          timestamp: req.headers[TIMESTAMP_HEADER] as string,
        },
        raw,
      );
      const body = JSON.parse(raw) as Hit["body"] & { payload?: { plainToken?: string } };
      hits.push({ eventId: String(req.headers[EVENT_ID_HEADER] ?? ""), signed, body });
      if (!signed) {
        res.writeHead(401).end("bad signature");
        return;
      }
      if (body.event === "endpoint.url_validation") {
        const plainToken = body.payload?.plainToken ?? "";
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ plainToken, encryptedToken: challengeAnswer(secret, plainToken) }));
        return;
      }
      res.writeHead(200).end("ok from the e2e receiver");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
});

test.afterAll(async () => {
  await new Promise((r) => server?.close(r));
});

test("an API token is shown once, works, and is revoked", async ({ page, request }) => {
  page.on("dialog", (d) => void d.accept());
  await login(page, USERS.ownerA);
  await page.goto("/integrations");
  const name = `e2e token ${Date.now()}`;
  const form = page.locator("form").filter({ has: page.getByRole("button", { name: "Create token" }) });
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Create token" }).click();
  const message = form.getByTestId("form-message");
  await expect(message).toContainText("it is not shown again");
  const token = /(cap_[A-Za-z0-9_-]+)/.exec((await message.textContent()) ?? "")?.[1];
  expect(token).toBeTruthy();

  const sessions = () => request.get("/api/v1/sessions", { headers: { Authorization: `Bearer ${token}` } });
  expect((await sessions()).status()).toBe(200);

  // Shown once: after a reload the page has only the prefix.
  await page.reload();
  await expect(page.getByText(token!)).toHaveCount(0);
  const row = page.getByTestId("api-tokens").locator("tr").filter({ hasText: name });
  await expect(row).toContainText("active");
  await expect(row).toContainText(token!.slice(0, 8));
  const stored = await db().apiToken.findFirstOrThrow({ where: { name } });
  expect(stored.tokenHash).not.toContain(token!);

  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  await expect(row.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  const refused = await sessions();
  expect(refused.status()).toBe(401);
  expect((await refused.json()).error.code).toBe("UNAUTHENTICATED");
});

test("a webhook endpoint is validated, receives events, and its delivery log can resend", async ({
  page,
}) => {
  test.setTimeout(90_000);
  page.on("dialog", (d) => void d.accept());
  const teamId = env("E2E_TEAM_A");
  await login(page, USERS.ownerA);
  await page.goto("/integrations");

  const form = page.locator("form").filter({ has: page.getByRole("button", { name: "Register endpoint" }) });
  await form.getByLabel(/^URL/).fill(receiverUrl);
  await form.getByLabel("Description").fill("e2e receiver");
  await form.getByLabel("session.started").check();
  await form.getByRole("button", { name: "Register endpoint" }).click();
  const message = form.getByTestId("form-message");
  await expect(message).toContainText("shown once");
  secret = /(whsec_[A-Za-z0-9_-]+)/.exec((await message.textContent()) ?? "")?.[1] ?? "";
  expect(secret).toBeTruthy();

  const row = page.getByTestId("webhook-endpoints").locator("tr").filter({ hasText: receiverUrl });
  await expect(row).toContainText("awaiting validation");
  await row.getByRole("button", { name: "Validate" }).click();
  await expect(row.getByTestId("form-message")).toContainText("answered the challenge");
  await expect(row).toContainText("active");
  expect(hits.some((h) => h.body.event === "endpoint.url_validation" && h.signed)).toBe(true);

  // A capture session starts (as the worker records one); the worker's scan turns it into a delivery.
  const session = await db().captureSession.create({
    data: {
      teamId,
      rtmsStreamId: `e2e-hooks-${Date.now()}`,
      meetingUuid: "e2e-hooks==",
      serverUrls: "ws://127.0.0.1:1",
      state: "STOPPED",
      stopReason: 6,
      endedAt: new Date(),
    },
  });
  const first = await waitFor(
    async () =>
      hits.find((h) => h.body.type === "session.started" && h.body.data?.session?.id === session.id),
    30_000,
    "session.started at the receiver",
  );
  expect(first.signed).toBe(true);
  expect(first.eventId).toBe(first.body.id);
  // Subscribed to session.started only: session.ended does not come.
  expect(hits.some((h) => h.body.type === "session.ended")).toBe(false);

  await row.getByRole("link", { name: receiverUrl }).click();
  await expect(page).toHaveURL(/\/integrations\?endpoint=/);
  const deliveries = page.getByTestId("webhook-deliveries");
  const delivery = deliveries.locator("tbody tr").filter({ hasText: first.eventId });
  // The worker records the answer right after the receiver sent it.
  await expect(async () => {
    await page.reload();
    await expect(delivery).toContainText("succeeded", { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(delivery).toContainText("session.started");
  await expect(delivery).toContainText("200");
  await expect(delivery).toContainText("ok from the e2e receiver");
  await expect(delivery).toContainText(/\d+ ms/);

  const before = hits.filter((h) => h.eventId === first.eventId).length;
  await delivery.getByRole("button", { name: "Resend" }).click();
  await expect(delivery.getByTestId("form-message")).toBeVisible();
  await waitFor(
    async () => hits.filter((h) => h.eventId === first.eventId).length > before,
    20_000,
    "the resent delivery",
  );
  const again = hits.filter((h) => h.eventId === first.eventId).at(-1)!;
  expect(again.signed).toBe(true);
  expect(again.body).toEqual(first.body);
  const d = await db().webhookDelivery.findFirstOrThrow({ where: { eventId: first.eventId } });
  for (const [action, targetId] of [
    ["webhook_endpoint.create", d.endpointId],
    ["webhook_endpoint.validate", d.endpointId],
    ["webhook_delivery.resend", d.id],
  ]) {
    expect(await db().auditEvent.count({ where: { teamId, action, targetId } }), action).toBe(1);
  }
});
