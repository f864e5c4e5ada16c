// `.env.example` and the README's configuration table must document every variable the apps read.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EnvSchema as WebEnvSchema } from "../../../apps/web/src/env.ts";
import { EnvSchema as WorkerEnvSchema } from "../../../apps/worker/src/env.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");
const variables = [
  ...new Set([...Object.keys(WorkerEnvSchema.shape), ...Object.keys(WebEnvSchema.shape)]),
].sort();

describe("configuration is documented", () => {
  it("lists the variables the apps read", () => {
    expect(variables).toEqual(
      expect.arrayContaining(["DATABASE_URL", "CAPTURE_ENCRYPTION_KEYS", "NEXTAUTH_SECRET"]),
    );
  });

  it(".env.example names every variable", () => {
    const names = new Set([...read(".env.example").matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(variables.filter((v) => !names.has(v))).toEqual([]);
  });

  it("the README's table names every variable", () => {
    const table = read("README.md")
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .join("\n");
    expect(variables.filter((v) => !table.includes(`\`${v}\``))).toEqual([]);
  });
});
