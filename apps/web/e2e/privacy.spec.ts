// Issue 13 in the browser: the retention setting on the team page, erasing a person across sessions up to
// the verification's "0 remaining", the audit of access (one event per gallery page and per zip, the
// audit page's filter and CSV), the storage quota on the settings page with a real capture past it shown
// on the session page, and a session whose frames expired. Frames are arranged in the database and the
// portal's frame store directly, except in the quota test, where the worker captures a zoom-sim stream.
import { randomBytes } from "node:crypto";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { expect, test } from "@playwright/test";
import sharp from "sharp";
import { db, env, login, meetingNumber, sim, USERS, waitFor } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

let jpeg: Buffer | undefined;
/** A small real JPEG, so thumbnails render as they do for captured frames. */
async function image(): Promise<Buffer> {
  jpeg ??= await sharp({ create: { width: 32, height: 24, channels: 3, background: "#3a6" } })
    .jpeg()
    .toBuffer();
  return jpeg;
}

async function sessionWithPerson(name: string, zoomUserId: string, frames: number) {
  const teamId = env("E2E_TEAM_A");
  const store = new LocalDiskFrameStore({ rootDir: env("E2E_FRAMES_DIR") });
  const session = await db().captureSession.create({
    data: {
      teamId,
      rtmsStreamId: `privacy-${randomBytes(4).toString("hex")}`,
      meetingUuid: "privacy==",
      serverUrls: "ws://127.0.0.1:1/none",
      state: "STOPPED",
      endedAt: new Date(),
    },
  });
  const participant = await db().participant.create({
    data: { sessionId: session.id, zoomUserId, name, frameCount: frames },
  });
  const keys: string[] = [];
  for (let i = 0; i < frames; i++) {
    const ts = 1_700_000_000_000 + i;
    const stored = await store.put(
      { sessionKey: session.id, userName: name, userId: zoomUserId, timestamp: ts, format: "jpg" },
      await image(),
    );
    keys.push(stored.storageKey);
    await db().frame.create({
      data: {
        sessionId: session.id,
        participantId: participant.id,
        zoomTimestamp: BigInt(ts),
        storageKey: stored.storageKey,
        bytes: stored.bytes,
        contentHash: "0".repeat(64),
      },
    });
  }
  return { session, participant, keys, store };
}

test("the retention setting is saved on the team page and audited", async ({ page }) => {
  const teamId = env("E2E_TEAM_A");
  await login(page, USERS.ownerA);
  await page.goto("/team");
  const panel = page.getByTestId("retention");
  await panel.getByLabel("Keep frames for (days)").fill("30");
  await panel.getByRole("button", { name: "Save retention" }).click();
  await expect(panel.getByTestId("form-message")).toHaveText("Retention saved: 30 days.");
  await expect(panel.getByTestId("retention-current")).toHaveText("30 days");
  expect((await db().team.findUniqueOrThrow({ where: { id: teamId } })).retentionDays).toBe(30);
  await panel.getByLabel("Keep frames for (days)").fill("-3");
  await panel.getByRole("button", { name: "Save retention" }).click();
  await expect(panel.getByTestId("form-error")).toContainText("whole days");
  // Back to "keep" so the shared team's other specs keep their frames.
  await panel.getByLabel("Keep frames for (days)").fill("");
  await panel.getByRole("button", { name: "Save retention" }).click();
  await expect(panel.getByTestId("retention-current")).toHaveText("kept until deleted");
  const audit = await db().auditEvent.findMany({
    where: { teamId, action: "retention.update" },
    orderBy: { createdAt: "asc" },
  });
  expect(audit.map((a) => a.data)).toEqual([
    { from: null, to: 30 },
    { from: 30, to: null },
  ]);
});

test("an admin erases a person across 3 sessions, down to 0 remaining", async ({ page }) => {
  const teamId = env("E2E_TEAM_A");
  const name = `Zelda Erasable ${randomBytes(3).toString("hex")}`;
  const seeded = [
    await sessionWithPerson(name, "5001", 2),
    await sessionWithPerson(name, "5002", 3),
    await sessionWithPerson(`${name} (phone)`, "5003", 1),
  ];
  await login(page, USERS.ownerA);
  await page.goto("/privacy");
  await page.getByLabel("Name or Zoom user id").fill(name);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("person-summary")).toContainText(
    "3 participant records in 3 sessions: 6 frames",
  );
  await expect(page.getByTestId("person-matches").locator("tbody tr")).toHaveCount(3);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Erase selected" }).click();
  await expect(page.getByTestId("form-message")).toContainText("Verification: 0 remaining");
  await expect(page.getByTestId("form-message")).toContainText("6 frames");

  for (const s of seeded) {
    expect(await db().frame.count({ where: { participantId: s.participant.id } })).toBe(0);
    for (const k of s.keys) expect(await s.store.exists(k)).toBe(false);
    const p = await db().participant.findUniqueOrThrow({ where: { id: s.participant.id } });
    expect(p.name).toBe("Erased participant");
    // The session keeps its metadata.
    expect(await db().captureSession.count({ where: { id: s.session.id } })).toBe(1);
  }
  const audit = await db().auditEvent.findFirstOrThrow({
    where: { teamId, action: "person.erase" },
    orderBy: { createdAt: "desc" },
  });
  expect(audit.data).toMatchObject({
    participants: 3,
    sessions: 3,
    frames: 6,
    remainingRows: 0,
    remainingObjects: 0,
  });
  expect(JSON.stringify(audit)).not.toContain("Zelda");
  // Searching again finds nothing.
  await page.goto(`/privacy?q=${encodeURIComponent(name)}`);
  await expect(page.getByTestId("person-none")).toBeVisible();
});

test("a gallery page and a zip export each write one audit event; the audit page filters", async ({
  page,
}) => {
  const teamId = env("E2E_TEAM_A");
  const s = await sessionWithPerson(`Gallery Gus ${randomBytes(3).toString("hex")}`, "6001", 5);
  const count = (action: string) =>
    db().auditEvent.count({ where: { teamId, action, targetId: s.participant.id } });
  await login(page, USERS.ownerA);
  await page.goto(`/sessions/${s.session.id}/participants/${s.participant.id}`);
  await expect(page.getByTestId("gallery").locator("img")).toHaveCount(5);
  // Five thumbnails loaded, one event for the page.
  await expect.poll(() => count("gallery.view")).toBe(1);
  const zip = await page.request.get(`/api/participants/${s.participant.id}/zip`);
  expect(zip.status()).toBe(200);
  await zip.body();
  expect(await count("frames.export")).toBe(1);
  expect(await count("gallery.view")).toBe(1);

  await page.goto("/audit");
  await page.getByTestId("audit-filter").getByLabel("Action").selectOption("frames.export");
  await page.getByTestId("audit-filter").getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=frames.export/);
  const actions = page.getByTestId("audit").locator("tbody tr td:nth-child(3)");
  await expect(actions.first()).toHaveText("frames.export");
  expect(new Set(await actions.allTextContents())).toEqual(new Set(["frames.export"]));
  await page.getByTestId("audit-filter").getByLabel("User").selectOption(env("E2E_USER_OWNER_A"));
  await page.getByTestId("audit-filter").getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/actor=/);
  expect(new Set(await actions.allTextContents())).toEqual(new Set(["frames.export"]));
  const csv = await page.request.get(
    (await page.getByTestId("audit-csv").getAttribute("href")) ?? "/audit/csv",
  );
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trimEnd().split("\r\n");
  expect(lines[0]).toContain("time,actor_email");
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines.slice(1)) expect(line).toContain('"frames.export"');
});

test("an admin sets the storage quota; capture past it shows on the session page as frames not stored", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const teamId = env("E2E_TEAM_A");
  await login(page, USERS.ownerA);
  await page.goto("/settings");
  const panel = page.getByTestId("storage");
  await expect(panel.getByTestId("storage-quota")).toHaveText("unlimited");
  await panel.getByLabel("Storage quota (MB)").fill("-1");
  await panel.getByRole("button", { name: "Save quota" }).click();
  await expect(panel.getByTestId("form-error")).toContainText("megabytes above 0");
  // Room for a few frames above what the team already stores.
  const stored = Number((await db().team.findUniqueOrThrow({ where: { id: teamId } })).storedBytes);
  const quotaMb = ((stored + 60_000) / 1_000_000).toFixed(3);
  await panel.getByLabel("Storage quota (MB)").fill(quotaMb);
  await panel.getByRole("button", { name: "Save quota" }).click();
  await expect(panel.getByTestId("form-message")).toHaveText(`Quota saved: ${Number(quotaMb)} MB.`);
  await expect(panel.getByTestId("storage-quota")).toHaveText(`${Number(quotaMb)} MB`);

  try {
    // A meeting that keeps every frame reaches the quota within seconds.
    const number = meetingNumber();
    await db().meeting.create({
      data: { teamId, meetingNumber: number, name: "Quota meeting", framePolicy: { kind: "all" } },
    });
    await sim("POST", "/meetings", { number, participants: [{ name: "Quincy Quota" }] });
    const stream = await sim<{ streamId: string }>("POST", `/meetings/${number}/rtms/start`, {
      waitForConsumer: true,
    });
    const session = await waitFor(
      () => db().captureSession.findFirst({ where: { rtmsStreamId: stream.streamId, state: "ACTIVE" } }),
      30_000,
      "the worker to connect the stream",
    );
    // The live session page shows the frames not stored as they are counted.
    await page.goto(`/sessions/${session.id}`);
    await expect(page.getByTestId("quota-dropped")).toContainText("not stored: team storage quota reached", {
      timeout: 40_000,
    });
    await sim("POST", `/meetings/${number}/rtms/stop`, { reason: 6 });
    const ended = await waitFor(
      () => db().captureSession.findFirst({ where: { id: session.id, state: "STOPPED" } }),
      30_000,
      "the session to stop",
    );
    const team = await db().team.findUniqueOrThrow({ where: { id: teamId } });
    expect(Number(team.storedBytes)).toBeLessThanOrEqual(Number(team.quotaBytes));
    await page.goto(`/sessions/${session.id}`);
    const n = ended.quotaDroppedFrames;
    await expect(page.getByTestId("quota-dropped")).toHaveText(
      `${n.toLocaleString("en")} ${n === 1 ? "frame" : "frames"} not stored: team storage quota reached.`,
    );
    await page.goto("/settings");
    await expect(page.getByTestId("storage-full")).toBeVisible();
    // Every page of the team says so.
    await page.goto("/sessions");
    await expect(page.getByTestId("quota-banner")).toContainText("at its storage quota");
  } finally {
    // Back to unlimited so the shared team's other specs keep capturing.
    await page.goto("/settings");
    await panel.getByLabel("Storage quota (MB)").fill("");
    await panel.getByRole("button", { name: "Save quota" }).click();
    await expect(panel.getByTestId("storage-quota")).toHaveText("unlimited");
  }
  await expect(page.getByTestId("quota-banner")).toHaveCount(0);
  const audit = await db().auditEvent.findMany({
    where: { teamId, action: "quota.update" },
    orderBy: { createdAt: "asc" },
  });
  expect(audit.map((a) => a.data)).toEqual([
    { from: null, to: Math.round(Number(quotaMb) * 1_000_000) },
    { from: Math.round(Number(quotaMb) * 1_000_000), to: null },
  ]);
});

test("a session whose frames retention expired says so and keeps its participants", async ({ page }) => {
  const s = await sessionWithPerson(`Expired Ezra ${randomBytes(3).toString("hex")}`, "7001", 0);
  await db().captureSession.update({ where: { id: s.session.id }, data: { framesExpiredAt: new Date() } });
  await login(page, USERS.ownerA);
  await page.goto(`/sessions/${s.session.id}`);
  await expect(page.getByTestId("frames-expired")).toContainText("Frames expired");
  await expect(page.getByTestId("participants")).toContainText("Expired Ezra");
  await expect(page.getByTestId("quota-dropped")).toHaveCount(0);
});

test("every page shows a banner while a worker reports its frame store below the free-space floor", async ({
  page,
}) => {
  await login(page, USERS.viewerA);
  await page.goto("/sessions");
  await expect(page.getByTestId("low-disk-banner")).toHaveCount(0);
  // What the worker's low-disk guard writes as its heartbeat (apps/worker capture/storage-guard.ts).
  const row = {
    workerId: `e2e-low-${randomBytes(3).toString("hex")}`,
    lowDisk: true,
    freeBytes: 900n * 1024n * 1024n,
    totalBytes: 100n * 1024n ** 3n,
    floorBytes: 1024n ** 3n,
    lowSince: new Date(),
    expiresAt: new Date(Date.now() + 60_000),
  };
  await db().workerDiskState.create({ data: row });
  try {
    await page.goto("/sessions");
    await expect(page.getByTestId("low-disk-banner")).toContainText(
      "new frames are not being stored (900.0 MiB free, floor 1.0 GiB)",
    );
    // A report that expired (its worker died) says nothing.
    await db().workerDiskState.update({
      where: { workerId: row.workerId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await page.goto("/sessions");
    await expect(page.getByTestId("low-disk-banner")).toHaveCount(0);
  } finally {
    await db().workerDiskState.deleteMany({ where: { workerId: row.workerId } });
  }
});
