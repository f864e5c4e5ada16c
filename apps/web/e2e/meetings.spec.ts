import { expect, test } from "@playwright/test";
import { db, env, login, meetingNumber, USERS } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

test("an owner adds rooms and creates a meeting that those rooms join", async ({ page }) => {
  await login(page, USERS.ownerA);
  await page.goto("/rooms");
  for (const [id, name] of [
    ["zr-meet-1", "Board Room"],
    ["zr-meet-2", "Huddle Room"],
  ] as const) {
    await page.getByLabel("Zoom room id").fill(id);
    await page.getByLabel("Name optional").fill(name);
    await page.getByRole("button", { name: "Add room" }).click();
    await expect(page.getByTestId(`room-${id}`)).toContainText(name);
  }

  await page.goto("/meetings/new");
  await page.getByLabel("Name").fill("Quarterly review");
  // Validation: a bad number is refused with a message on that field, nothing is stored.
  await page.getByLabel("Meeting number").fill("12345");
  await page.getByRole("button", { name: "Create meeting" }).click();
  await expect(page.getByTestId("form-error")).toContainText("9 to 11 digits");

  const number = meetingNumber();
  await page
    .getByLabel("Meeting number")
    .fill(`${number.slice(0, 3)} ${number.slice(3, 7)} ${number.slice(7)}`);
  await page.getByLabel("Passcode").fill("s3cret");
  await page.getByLabel("Name").fill("Quarterly review");
  await page.getByLabel("Policy").selectOption("interval");
  await page.getByLabel("Every (seconds)").fill("2");
  await page.getByRole("checkbox", { name: /Board Room/ }).check();
  await page.getByRole("checkbox", { name: /Huddle Room/ }).check();
  await page.getByLabel(/Leave delay/).fill("45");
  await page.getByRole("button", { name: "Create meeting" }).click();
  await expect(page.getByText("Meeting created.")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Quarterly review" })).toBeVisible();

  const meeting = await db().meeting.findFirstOrThrow({
    where: { teamId: env("E2E_TEAM_A"), meetingNumber: number },
    include: { rooms: { include: { room: true } } },
  });
  expect(meeting.framePolicy).toEqual({ kind: "interval", everyMs: 2000 });
  expect(meeting.roomLeaveDelaySec).toBe(45);
  expect(meeting.passcodeEnc).toMatch(/^enc:v1:/);
  expect(meeting.rooms.map((r) => r.room.name).sort()).toEqual(["Board Room", "Huddle Room"]);
  // The passcode never comes back to the browser.
  expect(await page.content()).not.toContain("s3cret");

  await page.goto("/meetings");
  await expect(page.getByRole("link", { name: "Quarterly review" })).toBeVisible();
  await expect(page.getByRole("row", { name: /Quarterly review/ })).toContainText("Board Room, Huddle Room");
});

test("a viewer reads meetings and settings but cannot edit", async ({ page }) => {
  const meeting = await db().meeting.create({
    data: { teamId: env("E2E_TEAM_A"), name: "Viewer can see me", meetingNumber: meetingNumber() },
  });
  await login(page, USERS.viewerA);
  await page.goto("/meetings");
  await expect(page.getByRole("link", { name: "Viewer can see me" })).toBeVisible();
  await expect(page.getByRole("link", { name: "New meeting" })).toHaveCount(0);

  await page.goto(`/meetings/${meeting.id}`);
  await expect(page.getByText("You have read-only access")).toBeVisible();
  await expect(page.getByLabel("Name")).toBeDisabled();
  await expect(page.getByRole("button", { name: "Save" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Delete meeting" })).toHaveCount(0);

  await page.goto("/meetings/new");
  await expect(page.getByText("Only owners and admins can register meetings.")).toBeVisible();

  await page.goto("/settings");
  await expect(page.getByLabel("Client id").first()).toBeDisabled();
  await expect(page.getByRole("button", { name: "Save settings" })).toHaveCount(0);
  // Secrets are write-only: the page says they are set and shows no value.
  await expect(page.getByTestId("clientSecret-state")).toContainText("set");
  const html = await page.content();
  expect(html).not.toContain("sim-rtms-client-secret");
  expect(html).not.toContain("enc:v1");

  await page.goto("/rooms");
  await expect(page.getByRole("button", { name: "Sync from Zoom" })).toHaveCount(0);
});
