// The whole path: zoom-sim starts a meeting's stream, its signed webhook reaches the portal, the worker
// captures it, and the portal shows one gallery per participant with the frames the policy keeps
// (the default: skip each participant's first 3 frames, keep the newest 3), downloadable as a zip.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { artifactDir, db, env, login, meetingNumber, sim, sleep, USERS, waitFor } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

test("a simulated meeting ends as a gallery per participant, downloadable as a zip", async ({ page }) => {
  test.setTimeout(120_000);
  const number = meetingNumber();
  await login(page, USERS.ownerA);
  await page.goto("/meetings/new");
  await page.getByLabel("Name").fill("Sim standup");
  await page.getByLabel("Meeting number").fill(number);
  await page.getByRole("button", { name: "Create meeting" }).click();
  await expect(page.getByText("Meeting created.")).toBeVisible();

  const people = ["Alice Adams", "Bob Brown", "Chen Cho"];
  await sim("POST", "/meetings", { number, participants: people.map((name) => ({ name })) });
  const state = await sim<{
    meetings: { number: string; participants: { userId: number; name: string }[] }[];
  }>("GET", "/state");
  const simMeeting = state.meetings.find((m) => m.number === number)!;
  const ids = simMeeting.participants.map((p) => p.userId);
  await sim("POST", `/meetings/${number}/speaker`, { participant: ids[0] });
  const stream = await sim<{ streamId: string }>("POST", `/meetings/${number}/rtms/start`, {
    waitForConsumer: true,
  });

  const session = await waitFor(
    () => db().captureSession.findFirst({ where: { rtmsStreamId: stream.streamId, state: "ACTIVE" } }),
    30_000,
    "the worker to connect the stream",
  );
  // The session page is live: it follows the stream over server-sent events.
  await page.goto(`/sessions/${session.id}`);
  await expect(page.getByTestId("session-state")).toHaveText("ACTIVE");
  // Each person speaks long enough for warm-up (3 frames) and more than 3 kept frames at 5 fps.
  for (const id of ids) {
    await sim("POST", `/meetings/${number}/speaker`, { participant: id });
    await waitFor(
      async () => {
        const p = await db().participant.findFirst({
          where: { sessionId: session.id, zoomUserId: String(id) },
        });
        return p && p.frameCount >= 3;
      },
      20_000,
      `frames of participant ${id}`,
    );
    await sleep(600);
  }
  await expect(page.getByTestId("participants")).toContainText("Chen Cho");
  await expect(page.getByTestId("session-frames")).toHaveText("9");
  await sim("POST", `/meetings/${number}/rtms/stop`, { reason: 6 });
  await expect(page.getByTestId("session-state")).toHaveText("STOPPED", { timeout: 30_000 });
  await expect(page.getByTestId("timeline-chart").locator("svg").first()).toBeVisible();
  await page.screenshot({ path: path.join(artifactDir(), "session.png"), fullPage: true });

  // The sessions list shows it with its counts.
  await page.goto("/sessions");
  await expect(page.getByTestId("sessions")).toContainText("Sim standup");

  // One gallery per participant, each with exactly the 3 kept frames.
  for (const name of people) {
    await page.goto(`/sessions/${session.id}`);
    await page.getByRole("link", { name }).click();
    await expect(page.getByTestId("gallery-title")).toContainText(name);
    await expect(page.getByTestId("gallery-count")).toHaveText("3 frames");
    const thumbs = page.getByTestId("gallery").locator("img");
    await expect(thumbs).toHaveCount(3);
    // Every thumbnail actually loads (served through the authorised route, rendered by sharp).
    await expect
      .poll(() =>
        thumbs.evaluateAll((imgs) =>
          imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
        ),
      )
      .toBe(true);
    if (name === people[0]) {
      await page.screenshot({ path: path.join(artifactDir(), "gallery.png"), fullPage: true });

      // Zip download: the three frames, named by their Zoom timestamps.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByTestId("zip-download").click(),
      ]);
      const zip = await readFile((await download.path())!);
      const frames = await db().frame.findMany({
        where: { sessionId: session.id, participant: { name } },
        orderBy: { zoomTimestamp: "asc" },
      });
      expect(frames).toHaveLength(3);
      for (const f of frames) expect(zip.includes(Buffer.from(`${f.zoomTimestamp}.jpg`))).toBe(true);
      expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
      const audit = await db().auditEvent.count({
        where: { teamId: env("E2E_TEAM_A"), action: "frames.export" },
      });
      expect(audit).toBeGreaterThan(0);

      // Full-size viewer.
      await page.getByTestId("gallery").locator("a").first().click();
      await expect(page.getByTestId("full-frame")).toBeVisible();
      await expect
        .poll(() => page.getByTestId("full-frame").evaluate((i) => (i as HTMLImageElement).naturalWidth))
        .toBeGreaterThan(300);

      // Deleting a frame (confirmed in a dialog) removes it from the gallery and is audited.
      page.once("dialog", (d) => void d.accept());
      await page.getByRole("button", { name: "Delete this frame" }).click();
      await expect(page.getByTestId("gallery-count")).toHaveText("2 frames");
      await expect(page.getByTestId("gallery").locator("img")).toHaveCount(2);
      expect(
        await db().auditEvent.count({ where: { teamId: env("E2E_TEAM_A"), action: "frame.delete" } }),
      ).toBe(1);
    }
  }
});
