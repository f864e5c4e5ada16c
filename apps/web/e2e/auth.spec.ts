import { randomBytes } from "node:crypto";
import { hashPassword } from "@capture/db";
import { expect, test } from "@playwright/test";
import { encode } from "next-auth/jwt";
import { db, env, login, USERS } from "./support.ts";

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

test("repeated failures from one address refuse it, even for the right password", async ({ page }) => {
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

const SESSION_COOKIE = "next-auth.session-token";

test("a signed-out token replayed is refused, by pages and API routes", async ({
  page,
  context,
  baseURL,
}) => {
  await login(page, USERS.ownerA);
  const token = (await context.cookies()).find((c) => c.name === SESSION_COOKIE)?.value;
  expect(token).toBeTruthy();
  const api = () => page.request.get("/api/participants/none/frames", { maxRedirects: 0 });
  // Signed in, the API answers (404: no such session, for this team).
  expect((await api()).status()).toBe(404);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);

  // The cookie the browser held before signing out, put back: the server no longer takes it.
  await context.addCookies([{ name: SESSION_COOKIE, value: token!, url: baseURL! }]);
  await page.goto("/meetings");
  await expect(page).toHaveURL(/\/login/);
  expect((await api()).status()).toBe(401);
});

test("a forged X-Forwarded-For does not move the per-address counter", async ({ page }) => {
  // A user of this test's own, so no other spec's sign-in is refused.
  const team = await db().team.findUniqueOrThrow({ where: { id: env("E2E_TEAM_A") } });
  const email = `xff-${randomBytes(3).toString("hex")}@acme.test`;
  const user = await db().user.create({
    data: { email, name: "Xavier Forwarded", passwordHash: await hashPassword(env("E2E_PASSWORD")) },
  });
  await db().membership.create({ data: { teamId: team.id, userId: user.id, role: "VIEWER" } });

  await page.goto("/login");
  for (let i = 0; i < 5; i++) {
    // Each attempt claims to come from somewhere new; the portal trusts no proxy, so it is still 127.0.0.1.
    await page.setExtraHTTPHeaders({ "x-forwarded-for": `198.51.100.${i + 1}` });
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(`wrong-${i}`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  }
  await page.setExtraHTTPHeaders({ "x-forwarded-for": "198.51.100.99" });
  await page.getByLabel("Password").fill(env("E2E_PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toContainText("Too many failed sign-ins");
});
