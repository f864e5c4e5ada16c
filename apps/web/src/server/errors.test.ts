import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/fixtures.ts";
import { AppError, errorResponse, isInvalidTextError } from "./errors.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("errors");
});
afterAll(() => t.drop());

describe("errorResponse", () => {
  it("maps AppErrors to their status and hides unknown errors behind a 500", async () => {
    expect(errorResponse(new AppError("NOT_FOUND", "no")).status).toBe(404);
    const res = errorResponse(new Error("secret internals"));
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("secret");
  });

  it("answers 400, not 500, when Postgres refuses the text itself (a NUL in an id)", async () => {
    const err = await t.db.frame.findFirst({ where: { id: "a\u0000b" } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isInvalidTextError(err)).toBe(true);
    const res = errorResponse(err);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("VALIDATION");
    expect(isInvalidTextError(new Error("x"))).toBe(false);
  });
});
