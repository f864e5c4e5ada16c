import { parseFramePolicy } from "@capture/rtms-core/frames";
import { describe, expect, it } from "vitest";
import {
  captureFields,
  captureModeField,
  describeCapture,
  dwellField,
  framePolicyFields,
  framePolicyFromForm,
  meetingInputFromForm,
} from "./form.ts";
import { MeetingInput } from "./meetings.ts";

const form = (entries: [string, string][]) => {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
};

describe("meeting form", () => {
  it("builds each policy kind, speaking seconds to the policy's milliseconds", () => {
    expect(framePolicyFromForm(form([["policyKind", "default"]]))).toBeNull();
    expect(
      framePolicyFromForm(
        form([
          ["policyKind", "interval"],
          ["everySec", "2.5"],
        ]),
      ),
    ).toEqual({ kind: "interval", everyMs: 2500 });
    expect(
      framePolicyFromForm(
        form([
          ["policyKind", "firstN"],
          ["n", "10"],
          ["dropDuplicates", "on"],
          ["minBytes", "2000"],
        ]),
      ),
    ).toEqual({
      kind: "firstN",
      n: 10,
      minBytes: 2000,
      dropDuplicates: true,
    });
    const seed = framePolicyFromForm(
      form([
        ["policyKind", "seed"],
        ["skipFirst", "0"],
        ["keepNewest", "5"],
      ]),
    );
    expect(parseFramePolicy(seed)).toEqual({
      ok: true,
      policy: { kind: "seed", skipFirst: 0, keepNewest: 5 },
    });
  });

  it("lets the policy schema reject nonsense instead of guessing", () => {
    expect(
      parseFramePolicy(
        framePolicyFromForm(
          form([
            ["policyKind", "firstN"],
            ["n", "abc"],
          ]),
        ),
      ).ok,
    ).toBe(false);
    expect(parseFramePolicy(framePolicyFromForm(form([["policyKind", "interval"]]))).ok).toBe(false);
    expect(parseFramePolicy(framePolicyFromForm(form([["policyKind", "teleport"]]))).ok).toBe(false);
  });

  it("reads rooms, passcode removal and the leave delay", () => {
    const input = meetingInputFromForm(
      form([
        ["name", "N"],
        ["meetingNumber", "123 456 789"],
        ["roomIds", "r1"],
        ["roomIds", "r2"],
        ["clearPasscode", "on"],
        ["roomLeaveDelaySec", "10"],
      ]),
    );
    expect(input).toMatchObject({
      roomIds: ["r1", "r2"],
      clearPasscode: true,
      roomLeaveDelaySec: "10",
      passcode: "",
    });
  });

  it("round-trips a stored policy into form defaults", () => {
    expect(framePolicyFields(null).policyKind).toBe("default");
    expect(framePolicyFields({ kind: "interval", everyMs: 4000 })).toMatchObject({
      policyKind: "interval",
      everySec: "4",
    });
    expect(framePolicyFields({ kind: "seed", skipFirst: 1, keepNewest: 9 })).toMatchObject({
      skipFirst: "1",
      keepNewest: "9",
    });
  });

  it("reads the capture mode and dwell, and leaves them out when the form has none", () => {
    const input = meetingInputFromForm(
      form([
        ["captureMode", "SPEAKER"],
        ["dwellSec", "3.5"],
      ]),
    );
    expect(input).toMatchObject({ captureMode: "SPEAKER", dwellSec: "3.5" });
    const bare = meetingInputFromForm(form([["name", "N"]]));
    expect("captureMode" in bare).toBe(false);
    expect("dwellSec" in bare).toBe(false);
  });

  it("validates the dwell as 1 to 30 seconds and stores milliseconds", () => {
    expect(dwellField.parse("2")).toBe(2000);
    expect(dwellField.parse("1.25")).toBe(1250);
    expect(dwellField.parse(30)).toBe(30_000);
    expect(dwellField.parse(undefined)).toBeUndefined();
    for (const bad of ["0.5", "0", "", "31", "abc", "-2"]) {
      const r = dwellField.safeParse(bad);
      expect(r.success, `dwell ${JSON.stringify(bad)}`).toBe(false);
    }
    expect(dwellField.safeParse("31").error?.issues[0]?.message).toBe("The dwell is at most 30 s");
    expect(dwellField.safeParse("0.5").error?.issues[0]?.message).toBe("The dwell is at least 1 s");
  });

  it("accepts only the two capture modes", () => {
    expect(captureModeField.parse("EVERYONE")).toBe("EVERYONE");
    expect(captureModeField.parse("SPEAKER")).toBe("SPEAKER");
    expect(captureModeField.parse(undefined)).toBeUndefined();
    for (const bad of ["everyone", "GALLERY", ""])
      expect(captureModeField.safeParse(bad).success).toBe(false);
  });

  it("MeetingInput reports the field that is wrong and keeps absent capture fields absent", () => {
    const base = {
      name: "N",
      meetingNumber: "123456789",
      passcode: "",
      framePolicy: null,
      roomLeaveDelaySec: "30",
    };
    const bad = MeetingInput.safeParse({ ...base, captureMode: "SPEAKER", dwellSec: "45" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual(["dwellSec"]);
    const ok = MeetingInput.parse({ ...base, captureMode: "SPEAKER", dwellSec: "5" });
    expect(ok).toMatchObject({ captureMode: "SPEAKER", dwellSec: 5000 });
    const absent = MeetingInput.parse(base);
    expect(absent.captureMode).toBeUndefined();
    expect(absent.dwellSec).toBeUndefined();
  });

  it("new meetings start at Everyone, 2 s; a stored meeting round-trips", () => {
    expect(captureFields(null)).toEqual({ captureMode: "EVERYONE", dwellSec: "2" });
    expect(captureFields({ captureMode: "SPEAKER", coverageDwellMs: 1500 })).toEqual({
      captureMode: "SPEAKER",
      dwellSec: "1.5",
    });
    expect(describeCapture("EVERYONE", 2000)).toBe("Everyone, 2 s per camera");
    expect(describeCapture("SPEAKER", 2000)).toBe("Active speaker");
  });
});
