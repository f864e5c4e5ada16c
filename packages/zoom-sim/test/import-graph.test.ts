// The source tree has no import cycles (type imports included): faults and control routes see the simulator
// through sim-control.ts, never through sim.ts, which wires them in.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    const deps = [...text.matchAll(/(?:import|export)[^"';]*?from\s+["'](\.{1,2}\/[^"']+)["']/g)].map((m) =>
      resolve(dirname(file), m[1]!),
    );
    graph.set(file, deps);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === "open") {
        found.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(SRC, f)).join(" -> "));
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe("zoom-sim import graph", () => {
  it("reads the relative imports of every source file", () => {
    const graph = importGraph();
    const sim = graph.get(join(SRC, "sim.ts"));
    expect(sim).toContain(join(SRC, "http/control-api.ts"));
    expect(graph.get(join(SRC, "fault-commands.ts"))).toContain(join(SRC, "sim-control.ts"));
  });

  it("has no cycles", () => {
    expect(cycles(importGraph())).toEqual([]);
  });
});
