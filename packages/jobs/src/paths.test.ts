import path from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot, resolveFromRepoRoot } from "./paths.ts";

describe("shared paths", () => {
  it("resolves relative paths against the repository root from any package folder", () => {
    const root = path.resolve(import.meta.dirname, "../../..");
    expect(repositoryRoot(path.join(root, "apps", "worker"))).toBe(root);
    expect(repositoryRoot(import.meta.dirname)).toBe(root);
    expect(resolveFromRepoRoot("recordings", path.join(root, "apps", "web"))).toBe(
      path.join(root, "recordings"),
    );
    expect(resolveFromRepoRoot("/abs/frames", path.join(root, "apps", "web"))).toBe("/abs/frames");
  });

  it("falls back to the starting folder outside a checkout", () => {
    expect(repositoryRoot("/")).toBe("/");
  });
});
