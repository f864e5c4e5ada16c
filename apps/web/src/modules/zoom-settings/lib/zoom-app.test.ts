// "Test connection" against zoom-sim (the only fake: Zoom itself): a token and the room list with the
// right credentials, a named failure with wrong ones, a clear message when credentials are missing.
import { startZoomSim, type ZoomSim } from "@capture/zoom-sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTeamWithUser,
  createTestDatabase,
  type TestDatabase,
  testKeyring,
} from "../../../../test/fixtures.ts";
import { resolveMember } from "../../teams/lib/membership.ts";
import { saveZoomApp, testZoomConnection, webhookUrl } from "./zoom-app.ts";

let t: TestDatabase;
let sim: ZoomSim;
const keyring = testKeyring();

beforeAll(async () => {
  [t, sim] = await Promise.all([createTestDatabase("zoomapp"), startZoomSim()]);
  sim.addRoom({ id: "zr-1", name: "Board Room" });
  sim.addRoom({ id: "zr-2", name: "Huddle", status: "Offline" });
});
afterAll(async () => {
  await sim?.close();
  await t?.drop();
});

async function owner(label: string) {
  const { team, user } = await createTeamWithUser(t.db, "OWNER", label);
  return (await resolveMember(t.db, user.id, team.id))!;
}

describe("test connection", () => {
  const deps = () => ({ db: t.db, keyring, apiBase: sim.urls.apiBase, oauthBase: sim.urls.oauthBase });

  it("gets a token and lists the account's rooms", async () => {
    const actor = await owner("z1");
    const s2s = sim.options.s2s;
    await saveZoomApp({ db: t.db, keyring }, actor, {
      clientId: "c",
      clientSecret: "s",
      s2sAccountId: s2s.accountId,
      s2sClientId: s2s.clientId,
      s2sClientSecret: s2s.clientSecret,
    });
    const result = await testZoomConnection(deps(), actor);
    expect(result).toMatchObject({ ok: true, roomCount: 2 });
    if (result.ok) expect(result.rooms.map((r) => r.name).sort()).toEqual(["Board Room", "Huddle"]);
    expect(
      await t.db.auditEvent.count({ where: { teamId: actor.teamId, action: "zoom_app.test_connection" } }),
    ).toBe(1);
  });

  it("reports Zoom's refusal of wrong credentials", async () => {
    const actor = await owner("z2");
    await saveZoomApp({ db: t.db, keyring }, actor, {
      clientId: "c",
      clientSecret: "s",
      s2sAccountId: sim.options.s2s.accountId,
      s2sClientId: sim.options.s2s.clientId,
      s2sClientSecret: "wrong",
    });
    expect(await testZoomConnection(deps(), actor)).toMatchObject({ ok: false, code: "ZOOM_AUTH_FAILED" });
  });

  it("says what is missing before calling Zoom", async () => {
    const actor = await owner("z3");
    expect(await testZoomConnection(deps(), actor)).toMatchObject({ ok: false, code: "ZOOM_NOT_CONFIGURED" });
  });

  it("builds the team's webhook URL", () => {
    expect(webhookUrl("https://capture.example.com/", "team1")).toBe(
      "https://capture.example.com/api/zoom/webhook/team1",
    );
  });
});
