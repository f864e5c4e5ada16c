// Capture mode and dwell through create and edit, against real Postgres: new meetings cover everyone at
// 2 s, the form's choice is stored in milliseconds, and an edit that does not name them keeps them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTeamWithUser,
  createTestDatabase,
  type TestDatabase,
  testKeyring,
} from "../../../../test/fixtures.ts";
import { type Member, resolveMember } from "../../teams/lib/membership.ts";
import { meetingInputFromForm } from "./form.ts";
import { createMeeting, getMeeting, updateMeeting } from "./meetings.ts";

let t: TestDatabase;
let owner: Member;
const keyring = testKeyring();
const base = { name: "Standup", passcode: "", framePolicy: null, roomIds: [], roomLeaveDelaySec: "30" };
let n = 0;
const number = () => String(100_000_000 + ++n);

beforeAll(async () => {
  t = await createTestDatabase("meetings");
  const a = await createTeamWithUser(t.db, "OWNER", "m1");
  owner = (await resolveMember(t.db, a.user.id, a.team.id))!;
});
afterAll(() => t?.drop());

describe("meeting capture settings", () => {
  it("a new meeting defaults to Everyone with a 2 s dwell", async () => {
    const m = await createMeeting({ db: t.db, keyring }, owner, { ...base, meetingNumber: number() });
    expect(m).toMatchObject({ captureMode: "EVERYONE", coverageDwellMs: 2000 });
  });

  it("stores the form's mode and dwell, and an edit changes or keeps them", async () => {
    const form = new FormData();
    for (const [k, v] of [
      ["name", "Review"],
      ["meetingNumber", number()],
      ["policyKind", "default"],
      ["roomLeaveDelaySec", "30"],
      ["captureMode", "SPEAKER"],
      ["dwellSec", "4.5"],
    ])
      form.append(k!, v!);
    const created = await createMeeting({ db: t.db, keyring }, owner, meetingInputFromForm(form));
    const id = created!.id;
    expect(await getMeeting(t.db, owner.teamId, id)).toMatchObject({
      captureMode: "SPEAKER",
      coverageDwellMs: 4500,
    });

    form.set("captureMode", "EVERYONE");
    form.set("dwellSec", "10");
    await updateMeeting({ db: t.db, keyring }, owner, id, meetingInputFromForm(form));
    expect(await getMeeting(t.db, owner.teamId, id)).toMatchObject({
      captureMode: "EVERYONE",
      coverageDwellMs: 10_000,
    });

    // A caller that does not name them (an older client, a script) leaves them as they are.
    await updateMeeting({ db: t.db, keyring }, owner, id, {
      ...base,
      name: "Renamed",
      meetingNumber: String(form.get("meetingNumber")),
    });
    expect(await getMeeting(t.db, owner.teamId, id)).toMatchObject({
      name: "Renamed",
      captureMode: "EVERYONE",
      coverageDwellMs: 10_000,
    });
    const audit = await t.db.auditEvent.findFirst({
      where: { targetId: id, action: "meeting.update" },
      orderBy: { createdAt: "asc" },
    });
    expect(audit?.data).toMatchObject({ captureMode: "EVERYONE", coverageDwellMs: 10_000 });
  });

  it("refuses a dwell out of range on the dwell field, storing nothing", async () => {
    const meetingNumber = number();
    const err = await createMeeting({ db: t.db, keyring }, owner, {
      ...base,
      meetingNumber,
      captureMode: "EVERYONE",
      dwellSec: "0",
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "VALIDATION",
      details: { fieldErrors: { dwellSec: "The dwell is at least 1 s" } },
    });
    expect(await t.db.meeting.count({ where: { meetingNumber } })).toBe(0);
  });
});
