// Hostile URLs against the built portal: a NUL byte or an undecodable escape in an id answers 404 or 400,
// never 500, signed in or not, on pages, API routes and the webhook intake.
import { expect, test } from "@playwright/test";
import { login, USERS } from "./support.ts";

test.use({ baseURL: process.env.E2E_BASE_URL });

const NUL_PATHS = [
  "/api/frames/%00",
  "/api/frames/%00?size=thumb",
  "/api/participants/%00/frames",
  "/api/participants/a%00b/zip",
  "/api/sessions/%00/live",
  "/sessions/%00",
  "/sessions/x/participants/%00",
  "/meetings/%00",
  "/frames/%00",
];
const BAD_ESCAPE_PATHS = [
  "/sessions/%E0%A4%A",
  "/api/frames/%E0%A4%A",
  "/api/participants/%E0%A4%A/frames",
  "/meetings/%E0%A4%A",
  "/sessions?before=%00",
];

for (const signedIn of [false, true]) {
  test(`malformed ids answer 404/400, never 500 (${signedIn ? "signed in" : "anonymous"})`, async ({
    page,
  }) => {
    if (signedIn) await login(page, USERS.ownerA);
    for (const path of NUL_PATHS) {
      const res = await page.request.get(path, { maxRedirects: 0 });
      expect(res.status(), path).toBe(404);
    }
    for (const path of BAD_ESCAPE_PATHS) {
      const res = await page.request.get(path, { maxRedirects: 0 });
      expect(res.status(), path).toBe(400);
    }
  });
}

test("the webhook intake answers 404/400 to malformed team ids", async ({ request }) => {
  for (const path of ["/api/zoom/webhook/%00", "/api/zoom/webhook/%E0%A4%A", "/api/zoom/webhook/a%00b"]) {
    const res = await request.post(path, { data: { event: "x", payload: {} } });
    expect([400, 404], path).toContain(res.status());
  }
});
