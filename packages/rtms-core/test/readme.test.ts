// The README's examples are the files in examples/ (the pack test runs example 1 from the installed
// tarball): a change to one without the other fails here.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("README examples", () => {
  it("show each file in examples/ exactly", async () => {
    const readme = await readFile(path.join(pkgDir, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/<!-- (examples\/[\w-]+\.mjs) -->\n```js\n([\s\S]*?)\n```/g)];
    expect(blocks.map((b) => b[1])).toEqual([
      "examples/capture-frames.mjs",
      "examples/video-rotation.mjs",
      "examples/verify-webhook.mjs",
    ]);
    for (const [, file, code] of blocks) {
      const source = await readFile(path.join(pkgDir, file!), "utf8");
      expect(code, file).toBe(source.trimEnd());
    }
  });
});
