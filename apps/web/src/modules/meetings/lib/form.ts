// Turns the meeting form's fields into MeetingInput's raw shape. The frame policy is edited as a kind plus
// the numbers that kind uses; the UI speaks seconds, the policy milliseconds.
import { DEFAULT_FRAME_POLICY, type FramePolicyInput } from "@capture/rtms-core/frames";

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
  };
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
