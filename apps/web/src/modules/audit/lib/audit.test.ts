// The audit log's filters and CSV export against real Postgres.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addMember,
  createTeamWithUser,
  createTestDatabase,
  type TestDatabase,
} from "../../../../test/fixtures.ts";
import { resolveMember } from "../../teams/lib/membership.ts";
import { recordAccess } from "./access.ts";
import { AuditFilter, auditCsv, auditFilterOptions, csvField, listAudit, recordAudit } from "./audit.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("audit");
});
afterAll(async () => {
  await t.drop();
});

async function collect(gen: AsyncGenerator<string>): Promise<string> {
  let s = "";
  for await (const c of gen) s += c;
  return s;
}

describe("audit log", () => {
  it("filters by action and by user, offers only what the team's log holds, and exports CSV", async () => {
    const { team, user } = await createTeamWithUser(t.db, "OWNER", "aud");
    const other = await addMember(t.db, team.id, "VIEWER", "aud2");
    const foreign = await createTeamWithUser(t.db, "OWNER", "foreign");
    const owner = (await resolveMember(t.db, user.id, team.id))!;
    const viewer = (await resolveMember(t.db, other.id, team.id))!;
    await recordAccess(
      t.db,
      owner,
      { action: "gallery.view", targetType: "participant", targetId: "p1", data: { frames: 50 } },
      "10.0.0.1",
    );
    await recordAccess(
      t.db,
      viewer,
      { action: "gallery.view", targetType: "participant", targetId: "p2" },
      null,
    );
    await recordAccess(
      t.db,
      viewer,
      { action: "frames.export", targetType: "participant", targetId: "p2" },
      null,
    );
    await recordAudit(t.db, {
      teamId: team.id,
      actorUserId: null,
      action: "retention.expire",
      data: { frames: 3 },
    });
    await recordAudit(t.db, { teamId: foreign.team.id, actorUserId: foreign.user.id, action: "frame.view" });

    expect((await listAudit(t.db, team.id)).rows).toHaveLength(4);
    const views = await listAudit(t.db, team.id, undefined, { action: "gallery.view" });
    expect(views.rows.map((r) => r.targetId).sort()).toEqual(["p1", "p2"]);
    const byViewer = await listAudit(t.db, team.id, undefined, { actor: other.id });
    expect(byViewer.rows.map((r) => r.action).sort()).toEqual(["frames.export", "gallery.view"]);
    const both = await listAudit(t.db, team.id, undefined, { action: "gallery.view", actor: other.id });
    expect(both.rows.map((r) => r.targetId)).toEqual(["p2"]);

    const options = await auditFilterOptions(t.db, team.id);
    expect(options.actions).toEqual(["frames.export", "gallery.view", "retention.expire"]);
    expect(options.actors.map((a) => a.id).sort()).toEqual([user.id, other.id].sort());

    const csv = await collect(auditCsv(t.db, team.id, { action: "gallery.view" }));
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("time,actor_email,actor_name,action,target_type,target_id,data,ip");
    expect(lines).toHaveLength(3);
    expect(csv).toContain(`"${owner.userEmail}"`);
    expect(csv).toContain('"{""frames"":50}"');
    expect(csv).not.toContain("frame.view");
    expect(csv).not.toContain("retention.expire");
  });

  it("junk filters are ignored, and CSV fields cannot smuggle formulas or break rows", () => {
    expect(AuditFilter.parse({ action: "DROP TABLE", actor: "../x" })).toEqual({});
    expect(AuditFilter.parse({ action: "person.erase" })).toEqual({ action: "person.erase" });
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField("a,b\nc")).toBe('"a,b\nc"');
    expect(csvField(null)).toBe('""');
  });
});
