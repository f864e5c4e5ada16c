// A member of another team gets not-found for this team's meeting, session and frame URLs, and the
// webhook route refuses what Zoom did not sign.
import { createHmac } from "node:crypto";
import { expect, test } from "@playwright/test";
import { db, env, login, meetingNumber, USERS } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

async function teamAObjects() {
  const teamId = env("E2E_TEAM_A");
  const meeting = await db().meeting.create({
    data: { teamId, name: "Private to A", meetingNumber: meetingNumber() },
  });
  const session = await db().captureSession.create({
    data: {
      teamId,
      meetingId: meeting.id,
      rtmsStreamId: `iso-${Date.now()}`,
      meetingUuid: "iso==",
      serverUrls: "ws://127.0.0.1:9/x",
      state: "STOPPED",
    },
  });
  const participant = await db().participant.create({
    data: { sessionId: session.id, zoomUserId: "42", name: "Secret Person" },
  });
  const frame = await db().frame.create({
    data: {
      sessionId: session.id,
      participantId: participant.id,
      zoomTimestamp: 1n,
      storageKey: `${session.id}/Secret_42/1.jpg`,
      bytes: 10,
      contentHash: "x",
    },
  });
  return { meeting, session, participant, frame };
}

test("another team's member gets not-found for this team's meeting, session and frame URLs", async ({
  page,
}) => {
  const a = await teamAObjects();
  await login(page, USERS.ownerB);
  for (const url of [
    `/meetings/${a.meeting.id}`,
    `/sessions/${a.session.id}`,
    `/sessions/${a.session.id}/participants/${a.participant.id}`,
    `/frames/${a.frame.id}`,
  ]) {
    const res = await page.goto(url);
    expect(res?.status(), url).toBe(404);
    await expect(page.getByText("Secret Person")).toHaveCount(0);
  }
  for (const url of [
    `/api/frames/${a.frame.id}`,
    `/api/frames/${a.frame.id}?size=thumb`,
    `/api/participants/${a.participant.id}/frames`,
    `/api/participants/${a.participant.id}/zip`,
    `/api/sessions/${a.session.id}/live`,
  ]) {
    const res = await page.request.get(url);
    expect(res.status(), url).toBe(404);
  }
  // Nothing of A is listed for B either.
  await page.goto("/sessions");
  await expect(page.getByText("Private to A")).toHaveCount(0);

  // The same URLs work for A's owner (the 404 above is about the team, not a broken page).
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await login(page, USERS.ownerA);
  expect((await page.goto(`/sessions/${a.session.id}`))?.status()).toBe(200);
  await expect(page.getByText("Secret Person")).toBeVisible();
});

test("signed-out requests for frames and APIs get 401", async ({ request }) => {
  const a = await teamAObjects();
  expect((await request.get(`/api/frames/${a.frame.id}`)).status()).toBe(401);
  expect((await request.get(`/api/participants/${a.participant.id}/zip`)).status()).toBe(401);
});

test("the webhook route rejects a forged signature and accepts Zoom's", async ({ request }) => {
  const url = `/api/zoom/webhook/${env("E2E_TEAM_A")}`;
  const body = JSON.stringify({
    event: "meeting.rtms_concurrency_near_limit",
    event_ts: Date.now(),
    payload: { account_id: "x" },
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const sign = (secret: string) =>
    `v0=${createHmac("sha256", secret).update(`v0:${ts}:${body}`).digest("hex")}`;
  const post = (signature: string, data = body) =>
    request.post(url, {
      headers: {
        "content-type": "application/json",
        "x-zm-request-timestamp": ts,
        "x-zm-signature": signature,
      },
      data,
    });
  const forged = await post(sign("not-the-secret"));
  expect(forged.status()).toBe(401);
  expect((await post("v0=deadbeef")).status()).toBe(401);
  const oversized = JSON.stringify({ event: "x", payload: { pad: "a".repeat(70_000) } });
  expect((await post(sign(env("E2E_WEBHOOK_SECRET")), oversized)).status()).toBe(413);
  const good = await post(sign(env("E2E_WEBHOOK_SECRET")));
  expect(good.status()).toBe(200);
  const validation = JSON.stringify({ event: "endpoint.url_validation", payload: { plainToken: "tok" } });
  const vsig = `v0=${createHmac("sha256", env("E2E_WEBHOOK_SECRET")).update(`v0:${ts}:${validation}`).digest("hex")}`;
  const v = await post(vsig, validation);
  expect(await v.json()).toEqual({
    plainToken: "tok",
    encryptedToken: createHmac("sha256", env("E2E_WEBHOOK_SECRET")).update("tok").digest("hex"),
  });
});
