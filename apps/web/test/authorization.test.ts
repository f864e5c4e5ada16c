// Authorization scoping across every feature, against real Postgres: a member of team B reaches none of
// team A's objects (NOT_FOUND, never FORBIDDEN, so ids do not leak), and a viewer of team A edits nothing.
import { JobQueues, redisConnection } from "@capture/jobs";
import { LocalDiskFrameStore } from "@capture/rtms-core/frames";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFrame, getParticipant, listFramesPage } from "../src/modules/gallery/lib/frames.ts";
import { participantZip } from "../src/modules/gallery/lib/zip.ts";
import {
  createMeeting,
  deleteMeeting,
  getMeeting,
  updateMeeting,
} from "../src/modules/meetings/lib/meetings.ts";
import { dismissRetryItem, listRetryItems, retryNow } from "../src/modules/retries/lib/retries.ts";
import { addRoomById, removeRoom, requestRoomsSync } from "../src/modules/rooms/lib/rooms.ts";
import { getSessionSnapshot, listSessions } from "../src/modules/sessions/lib/sessions.ts";
import { addMember as addTeamMember } from "../src/modules/teams/lib/members.ts";
import { type Member, resolveMember } from "../src/modules/teams/lib/membership.ts";
import { getZoomAppView, saveZoomApp } from "../src/modules/zoom-settings/lib/zoom-app.ts";
import {
  addMember,
  createCapturedSession,
  createTeamWithUser,
  createTestDatabase,
  REDIS_URL,
  type TestDatabase,
  testKeyring,
  testRedis,
} from "./fixtures.ts";

let t: TestDatabase;
let r: Awaited<ReturnType<typeof testRedis>>;
let queues: JobQueues;
const keyring = testKeyring();
let ownerA: Member;
let viewerA: Member;
let ownerB: Member;
let ids: {
  meeting: string;
  session: string;
  participant: string;
  frame: string;
  room: string;
  retry: string;
};

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: { code?: string }) => e.code ?? String(e),
  );

beforeAll(async () => {
  [t, r] = await Promise.all([createTestDatabase("authz"), testRedis()]);
  queues = new JobQueues(redisConnection(REDIS_URL), r.prefix);
  const a = await createTeamWithUser(t.db, "OWNER", "ta");
  const b = await createTeamWithUser(t.db, "OWNER", "tb");
  const viewer = await addMember(t.db, a.team.id, "VIEWER", "va");
  ownerA = (await resolveMember(t.db, a.user.id, a.team.id))!;
  viewerA = (await resolveMember(t.db, viewer.id, a.team.id))!;
  ownerB = (await resolveMember(t.db, b.user.id, b.team.id))!;
  const room = await addRoomById(t.db, ownerA, { zoomRoomId: "room-1", name: "Boardroom" });
  const meeting = await createMeeting({ db: t.db, keyring }, ownerA, {
    name: "Weekly",
    meetingNumber: "123 4567 890",
    passcode: "abc123",
    framePolicy: null,
    roomIds: [room.id],
    roomLeaveDelaySec: "30",
  });
  const { session, participant } = await createCapturedSession(t.db, a.team.id, { frames: 3 });
  const frame = await t.db.frame.findFirstOrThrow({ where: { participantId: participant.id } });
  const retry = await t.db.retryItem.create({
    data: {
      teamId: a.team.id,
      kind: "ROOM_JOIN",
      payload: { kind: "room.join", teamId: a.team.id, roomId: room.id, meetingId: meeting!.id },
      reason: "room offline (Zoom code 300)",
      attempts: 5,
    },
  });
  ids = {
    meeting: meeting!.id,
    session: session.id,
    participant: participant.id,
    frame: frame.id,
    room: room.id,
    retry: retry.id,
  };
});
afterAll(async () => {
  await queues?.close();
  await Promise.all([t.drop(), r.close()]);
});

describe("another team's member", () => {
  it("gets NOT_FOUND for this team's meeting, session, participant and frame", async () => {
    const team = ownerB.teamId;
    expect(await codeOf(getMeeting(t.db, team, ids.meeting))).toBe("NOT_FOUND");
    expect(await codeOf(getSessionSnapshot(t.db, team, ids.session))).toBe("NOT_FOUND");
    expect(await codeOf(getParticipant(t.db, team, ids.participant))).toBe("NOT_FOUND");
    expect(await codeOf(listFramesPage(t.db, team, ids.participant))).toBe("NOT_FOUND");
    expect(await codeOf(getFrame(t.db, team, ids.frame))).toBe("NOT_FOUND");
    const store = new LocalDiskFrameStore({ rootDir: "/nonexistent" });
    expect(await codeOf(participantZip({ db: t.db, store }, team, ids.participant))).toBe("NOT_FOUND");
    // and the same calls succeed for the owning team
    expect((await getMeeting(t.db, ownerA.teamId, ids.meeting)).name).toBe("Weekly");
    expect((await getFrame(t.db, ownerA.teamId, ids.frame)).id).toBe(ids.frame);
  });

  it("cannot change or delete this team's objects, and sees none of them in lists", async () => {
    const deps = { db: t.db, keyring };
    const input = {
      name: "x",
      meetingNumber: "123456789",
      passcode: "",
      framePolicy: null,
      roomLeaveDelaySec: "1",
    };
    expect(await codeOf(updateMeeting(deps, ownerB, ids.meeting, input))).toBe("NOT_FOUND");
    expect(await codeOf(deleteMeeting(t.db, ownerB, ids.meeting))).toBe("NOT_FOUND");
    expect(await codeOf(removeRoom(t.db, ownerB, ids.room))).toBe("NOT_FOUND");
    expect(await codeOf(retryNow({ db: t.db, queues }, ownerB, ids.retry))).toBe("NOT_FOUND");
    expect(await codeOf(dismissRetryItem(t.db, ownerB, ids.retry))).toBe("NOT_FOUND");
    // Using team A's room id in team B's meeting is a validation error, not a link across teams.
    expect(await codeOf(createMeeting(deps, ownerB, { ...input, roomIds: [ids.room] }))).toBe("VALIDATION");
    expect((await listSessions(t.db, ownerB.teamId)).rows).toHaveLength(0);
    expect(await listRetryItems(t.db, ownerB.teamId)).toHaveLength(0);
    expect(await t.db.meeting.count({ where: { id: ids.meeting } })).toBe(1);
  });
});

describe("a viewer", () => {
  it("reads but cannot edit anything", async () => {
    const deps = { db: t.db, keyring };
    expect((await getMeeting(t.db, viewerA.teamId, ids.meeting)).id).toBe(ids.meeting);
    const input = {
      name: "x",
      meetingNumber: "123456789",
      passcode: "",
      framePolicy: null,
      roomLeaveDelaySec: "1",
    };
    expect(await codeOf(createMeeting(deps, viewerA, input))).toBe("FORBIDDEN");
    expect(await codeOf(updateMeeting(deps, viewerA, ids.meeting, input))).toBe("FORBIDDEN");
    expect(await codeOf(deleteMeeting(t.db, viewerA, ids.meeting))).toBe("FORBIDDEN");
    expect(await codeOf(addRoomById(t.db, viewerA, { zoomRoomId: "r2" }))).toBe("FORBIDDEN");
    expect(await codeOf(requestRoomsSync(queues, t.db, viewerA))).toBe("FORBIDDEN");
    expect(await codeOf(retryNow({ db: t.db, queues }, viewerA, ids.retry))).toBe("FORBIDDEN");
    expect(await codeOf(saveZoomApp(deps, viewerA, { clientId: "c", clientSecret: "s" }))).toBe("FORBIDDEN");
    expect(
      await codeOf(
        addTeamMember(t.db, viewerA, {
          email: "n@example.test",
          name: "N",
          role: "VIEWER",
          password: "0123456789",
        }),
      ),
    ).toBe("FORBIDDEN");
    expect((await getMeeting(t.db, ownerA.teamId, ids.meeting)).name).toBe("Weekly");
  });
});

describe("meetings", () => {
  it("validates number, passcode, name, leave delay and policy with field errors", async () => {
    const deps = { db: t.db, keyring };
    const base = {
      name: "M",
      meetingNumber: "98765432101",
      passcode: "",
      framePolicy: null,
      roomLeaveDelaySec: "30",
    };
    const fieldOf = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: { details?: { fieldErrors?: Record<string, string> } }) =>
          Object.keys(e.details?.fieldErrors ?? {}).join(","),
      );
    expect(await fieldOf(createMeeting(deps, ownerA, { ...base, meetingNumber: "12345678" }))).toBe(
      "meetingNumber",
    );
    expect(await fieldOf(createMeeting(deps, ownerA, { ...base, meetingNumber: "123456789012" }))).toBe(
      "meetingNumber",
    );
    expect(await fieldOf(createMeeting(deps, ownerA, { ...base, meetingNumber: "12345abc9" }))).toBe(
      "meetingNumber",
    );
    expect(await fieldOf(createMeeting(deps, ownerA, { ...base, name: "  " }))).toBe("name");
    expect(await fieldOf(createMeeting(deps, ownerA, { ...base, passcode: "has space" }))).toBe("passcode");
    expect(await fieldOf(createMeeting(deps, ownerA, { ...base, roomLeaveDelaySec: "-1" }))).toBe(
      "roomLeaveDelaySec",
    );
    expect(
      await fieldOf(createMeeting(deps, ownerA, { ...base, framePolicy: { kind: "firstN", n: 0 } })),
    ).toBe("framePolicy");
    // A duplicate number in the same team is a conflict on that field.
    expect(await fieldOf(createMeeting(deps, ownerA, { ...base, meetingNumber: "1234567890" }))).toBe(
      "meetingNumber",
    );
    const ok = await createMeeting(deps, ownerA, {
      ...base,
      framePolicy: { kind: "interval", everyMs: 5000 },
    });
    const stored = await t.db.meeting.findUniqueOrThrow({ where: { id: ok!.id } });
    expect(stored.framePolicy).toEqual({ kind: "interval", everyMs: 5000 });
    expect(stored.passcodeEnc).toBeNull();
  });

  it("stores the passcode encrypted and never returns it", async () => {
    const stored = await t.db.meeting.findUniqueOrThrow({ where: { id: ids.meeting } });
    expect(stored.passcodeEnc).toMatch(/^enc:v1:/);
    expect(stored.passcodeEnc).not.toContain("abc123");
    const view = await getMeeting(t.db, ownerA.teamId, ids.meeting);
    expect(view.hasPasscode).toBe(true);
    expect(JSON.stringify(view)).not.toContain("enc:v1");
  });
});

describe("Zoom settings", () => {
  it("encrypt secrets, keep them when left blank, and never show them", async () => {
    const deps = { db: t.db, keyring };
    await saveZoomApp(deps, ownerA, {
      clientId: "rtms-id",
      clientSecret: "rtms-secret",
      webhookSecretToken: "wh-token",
      s2sAccountId: "acct",
      s2sClientId: "s2s-id",
      s2sClientSecret: "s2s-secret",
      eventWsUrl: "",
    });
    await saveZoomApp(deps, ownerA, {
      clientId: "rtms-id-2",
      clientSecret: "",
      webhookSecretToken: "",
      s2sClientSecret: "",
    });
    const row = await t.db.zoomApp.findUniqueOrThrow({ where: { teamId: ownerA.teamId } });
    const dump = JSON.stringify(row);
    for (const secret of ["rtms-secret", "wh-token", "s2s-secret"]) expect(dump).not.toContain(secret);
    expect(row.clientId).toBe("rtms-id-2");
    expect(row.webhookSecretTokenEnc).toMatch(/^enc:v1:/);
    const view = await getZoomAppView(t.db, ownerA.teamId);
    expect(view).toMatchObject({
      clientId: "rtms-id-2",
      hasClientSecret: true,
      hasWebhookSecretToken: true,
      hasS2sClientSecret: true,
    });
    expect(JSON.stringify(view)).not.toContain("enc:v1");
    const audit = await t.db.auditEvent.findMany({
      where: { teamId: ownerA.teamId, action: "zoom_app.update" },
    });
    expect(audit).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain('secret"');
    expect(JSON.stringify(audit)).not.toContain("wh-token");
  });
});

describe("retry queue", () => {
  it("retry now re-enqueues the stored payload with the item id, once", async () => {
    const jobId = await retryNow({ db: t.db, queues }, ownerA, ids.retry, "127.0.0.1");
    const job = await queues.rooms.getJob(String(jobId));
    expect(job?.data).toMatchObject({
      kind: "room.join",
      teamId: ownerA.teamId,
      roomId: ids.room,
      retryItemId: ids.retry,
    });
    expect((await t.db.retryItem.findUniqueOrThrow({ where: { id: ids.retry } })).status).toBe("RETRYING");
    expect(await codeOf(retryNow({ db: t.db, queues }, ownerA, ids.retry))).toBe("CONFLICT");
  });

  it("dismiss closes an item and records who did it", async () => {
    const item = await t.db.retryItem.create({
      data: {
        teamId: ownerA.teamId,
        kind: "ROOMS_SYNC",
        payload: { kind: "rooms.sync", teamId: ownerA.teamId },
        reason: "401",
      },
    });
    await dismissRetryItem(t.db, ownerA, item.id);
    expect((await t.db.retryItem.findUniqueOrThrow({ where: { id: item.id } })).status).toBe("DISMISSED");
    expect(
      await t.db.auditEvent.count({
        where: { action: "retry.dismiss", targetId: item.id, actorUserId: ownerA.userId },
      }),
    ).toBe(1);
  });

  it("refuses a stored payload that belongs to another team", async () => {
    const item = await t.db.retryItem.create({
      data: {
        teamId: ownerA.teamId,
        kind: "ROOMS_SYNC",
        payload: { kind: "rooms.sync", teamId: ownerB.teamId },
        reason: "x",
      },
    });
    expect(await codeOf(retryNow({ db: t.db, queues }, ownerA, item.id))).toBe("VALIDATION");
    expect((await t.db.retryItem.findUniqueOrThrow({ where: { id: item.id } })).status).toBe("OPEN");
  });
});

describe("team switching", () => {
  it("resolves the chosen team only when the user belongs to it", async () => {
    const user = await t.db.user.findUniqueOrThrow({ where: { id: ownerA.userId } });
    await t.db.membership.create({ data: { userId: user.id, teamId: ownerB.teamId, role: "VIEWER" } });
    expect((await resolveMember(t.db, user.id, ownerB.teamId))?.teamId).toBe(ownerB.teamId);
    expect((await resolveMember(t.db, user.id, ownerB.teamId))?.role).toBe("VIEWER");
    expect((await resolveMember(t.db, user.id, "not-my-team"))?.teamId).toBe(ownerA.teamId);
    expect((await resolveMember(t.db, user.id, undefined))?.teams).toHaveLength(2);
  });
});
