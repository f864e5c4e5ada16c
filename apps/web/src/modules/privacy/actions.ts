"use server";
import { revalidatePath } from "next/cache";
import { requestAddress, requireMember } from "~/server/context.ts";
import { type FormState, formError } from "~/server/form-state.ts";
import { logger } from "~/server/logger.ts";
import { db, frameStore, thumbnails } from "~/server/services.ts";
import { parseInput } from "~/server/validation.ts";
import { EraseInput, erasePeople } from "./lib/erasure.ts";
import { fmtBytes } from "./lib/format.ts";
import {
  describeRetention,
  MeetingRetentionInput,
  setMeetingRetention,
  setTeamRetention,
  TeamRetentionInput,
} from "./lib/retention.ts";
import { fmtMegabytes, setTeamQuota, TeamQuotaInput } from "./lib/storage.ts";

export async function setTeamRetentionAction(_: FormState, form: FormData): Promise<FormState> {
  let days: number | null;
  try {
    const member = await requireMember();
    ({ retentionDays: days } = parseInput(TeamRetentionInput, {
      retentionDays: form.get("retentionDays") ?? "",
    }));
    await setTeamRetention(db(), member, days, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/team");
  return { message: `Retention saved: ${describeRetention(days)}.` };
}

export async function setMeetingRetentionAction(_: FormState, form: FormData): Promise<FormState> {
  let days: number | null;
  try {
    const member = await requireMember();
    const input = parseInput(MeetingRetentionInput, {
      meetingId: form.get("meetingId"),
      retentionDays: form.get("retentionDays") ?? "",
    });
    days = input.retentionDays;
    await setMeetingRetention(db(), member, input.meetingId, days, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/team");
  return { message: `Meeting retention saved: ${days === null ? "the team's" : describeRetention(days)}.` };
}

export async function erasePeopleAction(_: FormState, form: FormData): Promise<FormState> {
  try {
    const member = await requireMember();
    const { participantIds } = parseInput(EraseInput, {
      participantIds: form.getAll("participantId").map(String),
    });
    const r = await erasePeople(
      { db: db(), store: frameStore(), thumbnails: thumbnails(), log: logger() },
      member,
      participantIds,
      await requestAddress(),
    );
    revalidatePath("/privacy");
    const remaining = r.remainingRows + r.remainingObjects;
    return {
      message: `Erased ${r.participants} participant${r.participants === 1 ? "" : "s"} in ${r.sessions} session${r.sessions === 1 ? "" : "s"}: ${r.frames} frames, ${fmtBytes(r.bytes)}. Verification: ${remaining} remaining (${r.remainingRows} rows, ${r.remainingObjects} objects).`,
      ...(remaining > 0 ? { error: "Some data is still there: erase again, or check the server log." } : {}),
    };
  } catch (err) {
    return formError(err, logger());
  }
}

export async function setTeamQuotaAction(_: FormState, form: FormData): Promise<FormState> {
  let quota: bigint | null;
  try {
    const member = await requireMember();
    ({ quotaMb: quota } = parseInput(TeamQuotaInput, { quotaMb: form.get("quotaMb") ?? "" }));
    await setTeamQuota(db(), member, quota, await requestAddress());
  } catch (err) {
    return formError(err, logger());
  }
  revalidatePath("/settings");
  return { message: `Quota saved: ${quota === null ? "unlimited" : fmtMegabytes(Number(quota))}.` };
}
