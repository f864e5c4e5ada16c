// Coverage where users look: a meeting created in the form (Everyone mode, the default) with four cameras
// on, one of which zoom-sim refuses to subscribe (msg 29 with an error code) for the whole meeting. The
// worker rotates through the others; the session page says "3 of 4 participants with camera on have
// frames" and marks the refused one, and the sessions list shows 3/4. Then the meeting is edited to Active
// speaker, which the finished session does not take on.
import path from "node:path";
import { expect, test } from "@playwright/test";
import { artifactDir, db, login, meetingNumber, sim, USERS, waitFor } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

test.afterEach(async () => {
  // Faults are simulator-wide: leave none behind for the next spec.
  await sim("POST", "/faults", { type: "clear" });
});

test("the session page shows coverage and marks the participant without frames", async ({ page }) => {
  test.setTimeout(120_000);
  const number = meetingNumber();
  await login(page, USERS.ownerA);
  await page.goto("/meetings/new");
  await page.getByLabel("Name").fill("Coverage review");
  await page.getByLabel("Meeting number").fill(number);
  // A new meeting starts in Everyone mode with a 2 s dwell.
  await expect(page.getByLabel("Capture mode")).toHaveValue("EVERYONE");
  await expect(page.getByLabel(/Dwell per participant/)).toHaveValue("2");
  await page.getByRole("button", { name: "Create meeting" }).click();
  await expect(page.getByText("Meeting created.")).toBeVisible();
  await expect(page.getByTestId("meeting-capture")).toHaveText("Captures: Everyone, 2 s per camera");

  const people = ["Ana Alves", "Ben Brandt", "Cleo Costa", "Dev Desai"];
  await sim("POST", "/meetings", { number, participants: people.map((name) => ({ name, camera: true })) });
  const state = await sim<{
    meetings: { number: string; participants: { userId: number; name: string }[] }[];
  }>("GET", "/state");
  const ids = new Map(
    state.meetings.find((m) => m.number === number)!.participants.map((p) => [p.name, p.userId]),
  );
  const refused = "Cleo Costa";
  // 45: an error code that is not "unknown user" (4) nor "already subscribed" (44).
  await sim("POST", "/faults", {
    type: "video-subscription-refusal",
    userId: ids.get(refused),
    statusCode: 45,
  });
  const stream = await sim<{ streamId: string }>("POST", `/meetings/${number}/rtms/start`, {
    waitForConsumer: true,
  });

  const session = await waitFor(
    () => db().captureSession.findFirst({ where: { rtmsStreamId: stream.streamId, state: "ACTIVE" } }),
    30_000,
    "the worker to connect the stream",
  );
  expect(session.captureMode).toBe("EVERYONE");
  await page.goto(`/sessions/${session.id}`);
  await expect(page.getByTestId("session-state")).toHaveText("ACTIVE");
  await expect(page.getByTestId("capture-mode")).toHaveText("Everyone: every camera in turn");

  // Wait on the database, not a clock: the three others each have a kept frame, all four cameras are known.
  await waitFor(
    async () => {
      const rows = await db().participant.findMany({ where: { sessionId: session.id } });
      const on = rows.filter((p) => p.firstVideoOnAt !== null);
      const covered = on.filter((p) => p.frameCount > 0).map((p) => p.name);
      return on.length === 4 && covered.length === 3 && !covered.includes(refused);
    },
    60_000,
    "three of the four cameras to have frames",
  );
  // The page is live (server-sent events): no reload needed.
  await expect(page.getByTestId("coverage-line")).toHaveText(
    "3 of 4 participants with camera on have frames",
  );
  const refusedRow = page.getByTestId(`participant-${ids.get(refused)}`);
  await expect(refusedRow.getByTestId("no-frames")).toHaveText("no frames yet");
  await expect(refusedRow).toHaveAttribute("data-uncovered", "true");
  await expect(page.getByTestId("no-frames")).toHaveCount(1);
  for (const name of people.filter((n) => n !== refused)) {
    const row = page.getByTestId(`participant-${ids.get(name)}`);
    await expect(row).not.toHaveAttribute("data-uncovered", "true");
    // Camera-on time, frames kept and time to first frame are figures, not dashes, for a covered camera.
    await expect(row.locator("td").nth(5)).toHaveText(/^\d+\.\ds$/);
  }
  await page.screenshot({ path: path.join(artifactDir(), "coverage.png"), fullPage: true });

  // The refusal never stalled the rotation: after the stream ends the verdict stands, and the list agrees.
  await sim("POST", `/meetings/${number}/rtms/stop`, { reason: 6 });
  await expect(page.getByTestId("session-state")).toHaveText("STOPPED", { timeout: 30_000 });
  await expect(page.getByTestId("coverage-line")).toHaveText(
    "3 of 4 participants with camera on have frames",
  );
  await expect(refusedRow.getByTestId("no-frames")).toHaveText("no frames");
  await page.goto("/sessions");
  await expect(page.getByTestId(`coverage-${session.id}`)).toHaveText("3/4");

  // Editing the meeting changes what its next session captures, never the session that ran.
  expect(session.meetingId).not.toBeNull();
  await page.goto(`/meetings/${session.meetingId}`);
  await page.getByLabel("Capture mode").selectOption("SPEAKER");
  await page.getByLabel(/Dwell per participant/).fill("5");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("form-message")).toHaveText("Saved.");
  expect(await db().meeting.findUniqueOrThrow({ where: { id: session.meetingId! } })).toMatchObject({
    captureMode: "SPEAKER",
    coverageDwellMs: 5000,
  });
  await page.reload();
  await expect(page.getByTestId("meeting-capture")).toHaveText("Captures: Active speaker");
  await expect(page.getByLabel("Capture mode")).toHaveValue("SPEAKER");
  await expect(page.getByLabel(/Dwell per participant/)).toHaveValue("5");
  await page.goto(`/sessions/${session.id}`);
  await expect(page.getByTestId("capture-mode")).toHaveText("Everyone: every camera in turn");
});
