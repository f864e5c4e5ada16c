// Helpers shared by the specs: who is who (seeded by global-setup.ts), signing in through the real form,
// driving zoom-sim through its control API, and direct database access for arranging or checking state.
import { randomBytes } from "node:crypto";
import { createDb, type Db } from "@capture/db";
import { expect, type Page } from "@playwright/test";

export const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the specs through playwright.config.ts (global setup)`);
  return v;
};

export const USERS = {
  ownerA: "owner@acme.test",
  viewerA: "viewer@acme.test",
  ownerB: "owner@other.test",
  lockout: "lockout@acme.test",
  multi: "multi@acme.test",
} as const;

let dbHandle: Db | undefined;
export function db(): Db {
  dbHandle ??= createDb(env("E2E_DATABASE_URL"), { maxConnections: 2 });
  return dbHandle;
}

export async function login(page: Page, email: string, password = env("E2E_PASSWORD")) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/sessions$/);
}

export async function sim<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${env("E2E_SIM_CONTROL")}${route}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`zoom-sim ${method} ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A random meeting number (10 digits) so specs never collide. */
export const meetingNumber = () =>
  String(1_000_000_000 + (randomBytes(4).readUInt32BE() % 8_999_999_999)).slice(0, 10);

export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function artifactDir(): string {
  return process.env.TEST_RESULTS_DIR ?? "test-results";
}
