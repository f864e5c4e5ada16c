// Every package's vitest config starts from this: when TEST_RESULTS_DIR is set (scripts/test.sh sets it),
// each package also writes a JSON report there, which the script sums into one `N passed, N failed` line.
import path from "node:path";

export function sharedTestConfig(packageName: string) {
  const dir = process.env.TEST_RESULTS_DIR;
  return {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    reporters: dir ? ["default", "json"] : ["default"],
    outputFile: dir ? { json: path.join(dir, `vitest-${packageName}.json`) } : undefined,
    // Integration suites share one Postgres and Redis: keep files in separate forks, a few at a time.
    pool: "forks" as const,
    maxWorkers: 2,
  };
}
