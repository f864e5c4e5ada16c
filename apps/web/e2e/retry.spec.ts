// An injected room failure (the room is offline in zoom-sim) ends, after the worker's own retries, in the
// retry queue; once the room is back, "Retry now" in the portal re-runs the join and resolves the item.
import { expect, test } from "@playwright/test";
import { db, env, login, meetingNumber, sim, USERS, waitFor } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

test("a failed room join shows in the retry queue and is retried from the UI", async ({ page }) => {
  test.setTimeout(120_000);
  const teamId = env("E2E_TEAM_A");
  const number = meetingNumber();
  const roomZoomId = `zr-flaky-${number}`;
  await sim("POST", "/rooms", { id: roomZoomId, name: "Flaky Room", status: "Offline" });
  const room = await db().zoomRoom.create({
    data: { teamId, zoomRoomId: roomZoomId, name: "Flaky Room", status: "Offline" },
  });
  const meeting = await db().meeting.create({
    data: {
      teamId,
      name: "Room retry meeting",
      meetingNumber: number,
      rooms: { create: [{ roomId: room.id }] },
    },
  });

  await sim("POST", "/meetings", { number, participants: [{ name: "Rita Retry" }] });
  const stream = await sim<{ streamId: string }>("POST", `/meetings/${number}/rtms/start`, {
    waitForConsumer: true,
  });
  try {
    const item = await waitFor(
      () =>
        db().retryItem.findFirst({
          where: {
            teamId,
            kind: "ROOM_JOIN",
            status: "OPEN",
            payload: { path: ["roomId"], equals: room.id },
          },
        }),
      45_000,
      "the failed join to reach the retry queue",
    );
    expect(item.attempts).toBeGreaterThanOrEqual(1);

    await login(page, USERS.ownerA);
    await page.goto("/retries");
    const row = page.getByTestId("retry-item").filter({ hasText: "offline" }).first();
    await expect(row).toContainText("room join");
    await expect(row).toContainText(String(item.attempts));

    // The room comes back; retry from the UI.
    await sim("PATCH", `/rooms/${roomZoomId}`, { status: "Available" });
    await row.getByRole("button", { name: "Retry now" }).click();
    // The item leaves OPEN at once (claimed, so a second click cannot enqueue it twice).
    await expect(row).toContainText(/RETRYING|RESOLVED/);
    await expect(row.getByRole("button", { name: "Retry now" })).toHaveCount(0);
    const resolved = await waitFor(
      async () => {
        const r = await db().retryItem.findUnique({ where: { id: item.id } });
        return r?.status === "RESOLVED" ? r : null;
      },
      30_000,
      "the retried join to succeed",
    );
    expect(resolved.resolvedAt).not.toBeNull();
    await page.goto("/retries?show=all");
    await expect(page.getByTestId("retry-item").filter({ hasText: "offline" }).first()).toContainText(
      "RESOLVED",
    );
    const audit = await db().auditEvent.findFirst({
      where: { teamId, action: "retry.retry_now", targetId: item.id },
    });
    expect(audit).not.toBeNull();
    expect(meeting.id).toBeTruthy();
  } finally {
    await sim("POST", `/streams/${stream.streamId}/stop`, { reason: 6 }).catch(() => {});
  }
});
