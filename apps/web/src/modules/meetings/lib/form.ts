// Turns the meeting form's fields into MeetingInput's raw shape. The frame policy is edited as a kind plus
// the numbers that kind uses; the UI speaks seconds, the policy milliseconds. The capture mode and the
// dwell per participant are validated here too (MeetingInput uses these fields).
import type { CaptureMode } from "@capture/db";
import { DEFAULT_FRAME_POLICY, type FramePolicyInput } from "@capture/rtms-core/frames";
import { z } from "zod";
import { CAPTURE_MODE_LABELS, CAPTURE_MODES, DEFAULT_CAPTURE, DWELL_SEC } from "./capture-mode.ts";

// --- Capture mode and dwell ----------------------------------------------------------------------------

/** Absent = keep what is stored (on edit) or the schema default (on create). */
export const captureModeField = z
  .enum(CAPTURE_MODES, { message: "Pick a capture mode: everyone or active speaker" })
  .optional();

/** Seconds in the form, milliseconds out (Meeting.coverageDwellMs). Absent = keep / default. */
export const dwellField = z.coerce
  .number({ message: "The dwell is a number of seconds" })
  .min(DWELL_SEC.min, `The dwell is at least ${DWELL_SEC.min} s`)
  .max(DWELL_SEC.max, `The dwell is at most ${DWELL_SEC.max} s`)
  .transform((sec) => Math.round(sec * 1000))
  .optional();

/** "2 s", "1.5 s": a stored dwell as people read it. */
export const formatDwell = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/** The meeting list and page: "Everyone, 2 s per camera" or "Active speaker". */
export function describeCapture(mode: CaptureMode, dwellMs: number): string {
  return mode === "EVERYONE" ? `Everyone, ${formatDwell(dwellMs)} per camera` : CAPTURE_MODE_LABELS.SPEAKER;
}

// --- Frame policy --------------------------------------------------------------------------------------

export const POLICY_KINDS = ["seed", "firstN", "interval", "all"] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

const num = (v: FormDataEntryValue | null): number | undefined => {
  if (typeof v !== "string" || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : Number.NaN;
};

export function framePolicyFromForm(form: FormData): FramePolicyInput | null | { invalid: string } {
  const kind = String(form.get("policyKind") ?? "default");
  const filters = {
    ...(num(form.get("minBytes")) === undefined ? {} : { minBytes: num(form.get("minBytes")) }),
    ...(form.get("dropDuplicates") === "on" ? { dropDuplicates: true } : {}),
  };
  switch (kind) {
    case "default":
      return null;
    case "seed":
      return {
        kind: "seed",
        skipFirst: num(form.get("skipFirst")),
        keepNewest: num(form.get("keepNewest")),
        ...filters,
      };
    case "firstN":
      return { kind: "firstN", n: num(form.get("n")) as number, ...filters };
    case "interval": {
      const sec = num(form.get("everySec"));
      return {
        kind: "interval",
        everyMs: sec === undefined ? (undefined as unknown as number) : Math.round(sec * 1000),
        ...filters,
      };
    }
    case "all":
      return { kind: "all", ...filters };
    default:
      return { invalid: kind };
  }
}

export function meetingInputFromForm(form: FormData) {
  return {
    name: String(form.get("name") ?? ""),
    meetingNumber: String(form.get("meetingNumber") ?? ""),
    passcode: String(form.get("passcode") ?? ""),
    clearPasscode: form.get("clearPasscode") === "on",
    framePolicy: framePolicyFromForm(form),
    roomIds: form.getAll("roomIds").map(String),
    roomLeaveDelaySec: String(form.get("roomLeaveDelaySec") ?? "30"),
    // Absent fields stay absent (keep the stored value); the form always sends both.
    ...(form.has("captureMode") ? { captureMode: String(form.get("captureMode")) } : {}),
    ...(form.has("dwellSec") ? { dwellSec: String(form.get("dwellSec")) } : {}),
  };
}

/** A stored meeting's capture settings as form defaults. */
export function captureFields(m: { captureMode: CaptureMode; coverageDwellMs: number } | null) {
  if (!m)
    return {
      captureMode: DEFAULT_CAPTURE.captureMode as CaptureMode,
      dwellSec: String(DEFAULT_CAPTURE.dwellSec),
    };
  return { captureMode: m.captureMode, dwellSec: String(Number((m.coverageDwellMs / 1000).toFixed(3))) };
}

/** A stored policy as form defaults (null = the default policy). */
const DEFAULT_SEED = DEFAULT_FRAME_POLICY as { skipFirst: number; keepNewest: number };

export function framePolicyFields(policy: unknown) {
  const p = (policy ?? null) as Record<string, unknown> | null;
  return {
    policyKind: (p?.kind as string | undefined) ?? "default",
    skipFirst: String(p?.skipFirst ?? DEFAULT_SEED.skipFirst),
    keepNewest: String(p?.keepNewest ?? DEFAULT_SEED.keepNewest),
    n: String(p?.n ?? 10),
    everySec: p?.everyMs ? String(Number(p.everyMs) / 1000) : "5",
    minBytes: p?.minBytes === undefined ? "" : String(p.minBytes),
    dropDuplicates: p?.dropDuplicates === true,
  };
}
