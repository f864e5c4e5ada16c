import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

describe("logger", () => {
  it("redacts secrets nested in logged objects", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger("info", sink);
    log.info(
      { app: { clientSecret: "s3cret", clientId: "visible" }, access_token: "tok123", passcode: "999" },
      "x",
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("visible");
    for (const secret of ["s3cret", "tok123", "999"]) expect(lines[0]).not.toContain(secret);
  });
});
