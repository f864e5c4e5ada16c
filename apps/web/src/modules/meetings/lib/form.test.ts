import { parseFramePolicy } from "@capture/rtms-core/frames";
import { describe, expect, it } from "vitest";
import { framePolicyFields, framePolicyFromForm, meetingInputFromForm } from "./form.ts";

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
});
