import { expect, test } from "@playwright/test";
import { encode } from "next-auth/jwt";
import { env, login, USERS } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

test("good login lands on the sessions page, sign-out ends the session", async ({ page }) => {
  await login(page, USERS.ownerA);
  await expect(page.getByRole("heading", { name: "Capture sessions" })).toBeVisible();
  await expect(page.getByTestId("who")).toContainText("Olive Owner · owner");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/meetings");
  await expect(page).toHaveURL(/\/login/);
});

test("bad login shows an error and signs no one in", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(USERS.ownerA);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  await page.goto("/sessions");
  await expect(page).toHaveURL(/\/login/);
});

test("repeated failures lock the account, even for the right password", async ({ page }) => {
  await page.goto("/login");
  for (let i = 0; i < 5; i++) {
    await page.getByLabel("Email").fill(USERS.lockout);
    await page.getByLabel("Password").fill(`wrong-${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  }
  await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toContainText("Too many failed sign-ins");
});

test("pages carry the security headers", async ({ request }) => {
  const res = await request.get("/login");
  const h = res.headers();
  expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(h["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[^']+'/);
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["referrer-policy"]).toBe("no-referrer");
  expect(h["x-frame-options"]).toBe("DENY");
});

test("an expired session sends the user back to sign in", async ({ page, context, baseURL }) => {
  const uid = env("E2E_USER_OWNER_A");
  const cookie = (maxAge: number) =>
    encode({
      token: { uid, sub: uid, name: "Olive Owner", sid: `e2e-${maxAge}-${Date.now()}` },
      secret: env("E2E_NEXTAUTH_SECRET"),
      maxAge,
    });
  await context.addCookies([{ name: "next-auth.session-token", value: await cookie(3600), url: baseURL! }]);
  await page.goto("/meetings");
  await expect(page.getByRole("heading", { name: "Meetings" })).toBeVisible();
  await context.clearCookies();
  await context.addCookies([{ name: "next-auth.session-token", value: await cookie(-60), url: baseURL! }]);
  await page.goto("/meetings");
  await expect(page).toHaveURL(/\/login/);
});

test("a user in two teams switches between them, with that team's role", async ({ page }) => {
  await login(page, USERS.multi);
  await expect(page.getByTestId("who")).toContainText("admin");
  await page.getByLabel("Team").selectOption({ label: "Other Team" });
  await expect(page.getByTestId("who")).toContainText("viewer");
  await page.goto("/team");
  await expect(page.getByRole("heading", { name: "Other Team" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Add member" })).toHaveCount(0);
  await page.getByLabel("Team").selectOption({ label: "Acme Capture" });
  await expect(page.getByTestId("who")).toContainText("admin");
});
