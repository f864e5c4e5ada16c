// Sums the JSON reports every runner wrote into TEST_RESULTS_DIR (vitest-*.json, playwright.json) and the
// typecheck/lint checks (check-*.status, one each) into one closing line, `N passed, N failed`. A report
// that is missing or unreadable is itself a failure, so a crashed runner can never look green.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
/** What failed, by name and first message line: the closing lines are often all a CI log keeps. */
const failures = [];
const firstLine = (m) =>
  String(m ?? "")
    .split("\n")
    .find((l) => l.trim()) ?? "";

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()) {
  let report;
  try {
    report = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  } catch {
    rows.push(`${file}: unreadable report`);
    failed += 1;
    continue;
  }
  let p;
  let f;
  let s;
  if (file.startsWith("playwright")) {
    const st = report.stats ?? {};
    p = (st.expected ?? 0) + (st.flaky ?? 0);
    f = st.unexpected ?? 0;
    s = st.skipped ?? 0;
    if ((report.errors ?? []).length > 0) f += report.errors.length;
    for (const e of report.errors ?? []) failures.push(`playwright: ${firstLine(e.message)}`);
    const walk = (suite) => {
      for (const spec of suite.specs ?? [])
        for (const t of spec.tests ?? [])
          if (t.status === "unexpected")
            failures.push(
              `playwright ${spec.file}: ${spec.title}: ${firstLine(t.results?.at(-1)?.error?.message)}`,
            );
      for (const child of suite.suites ?? []) walk(child);
    };
    for (const suite of report.suites ?? []) walk(suite);
  } else {
    p = report.numPassedTests ?? 0;
    f = report.numFailedTests ?? 0;
    s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A suite that failed to load has no failed tests but must count: vitest reports it per file.
    const brokenFiles = (report.testResults ?? []).filter(
      (r) => r.status === "failed" && (r.assertionResults ?? []).every((a) => a.status !== "failed"),
    ).length;
    f += brokenFiles;
    for (const r of report.testResults ?? []) {
      const file = path.relative(process.cwd(), r.name ?? "");
      for (const a of r.assertionResults ?? [])
        if (a.status === "failed")
          failures.push(`${file}: ${a.fullName ?? a.title}: ${firstLine(a.failureMessages?.[0])}`);
      if (r.status === "failed" && (r.assertionResults ?? []).every((a) => a.status !== "failed"))
        failures.push(`${file}: file failed outside a test: ${firstLine(r.message)}`);
    }
  }
  passed += p;
  failed += f;
  skipped += s;
  rows.push(`${file.replace(/\.json$/, "")}: ${p} passed, ${f} failed, ${s} skipped`);
}

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".status"))
  .sort()) {
  const ok = readFileSync(path.join(dir, file), "utf8").trim() === "passed";
  const name = file.replace(/^check-/, "").replace(/\.status$/, "");
  if (ok) passed += 1;
  else failed += 1;
  rows.push(`${name}: ${ok ? "passed" : "FAILED"}`);
}

const expected = (process.env.EXPECTED_REPORTS ?? "").split(",").filter(Boolean);
for (const name of expected) {
  if (!rows.some((r) => r.startsWith(`${name}:`))) {
    rows.push(`${name}: no report (runner did not finish)`);
    failed += 1;
  }
}

for (const row of rows) console.log(`  ${row}`);
if (failures.length > 0) {
  console.log("failed:");
  for (const line of failures.slice(0, 30)) console.log(`  ${line.slice(0, 400)}`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
