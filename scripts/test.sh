#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, starts Postgres and Redis, then runs
# typecheck, every package's vitest suite and the Playwright e2e suite, and ends with one line
# `N passed, N failed` summing every runner. Exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/toolchain.sh
set -e
ensure_pnpm
ensure_chromium
ensure_services
ensure_dependencies
migrate_database
set +e

export TEST_RESULTS_DIR=${TEST_RESULTS_DIR:-$PWD/.test-results}
rm -rf "$TEST_RESULTS_DIR" && mkdir -p "$TEST_RESULTS_DIR"
status=0

# Typecheck and lint count as one check each in the closing line, so a red run never reads "0 failed".
check() { # name, command...
  local name=$1; shift
  if "$@"; then echo passed >"$TEST_RESULTS_DIR/check-$name.status"
  else echo failed >"$TEST_RESULTS_DIR/check-$name.status"; status=1; fi
}

step "typecheck"
check typecheck pnpm turbo run typecheck --continue --output-logs=errors-only

step "lint"
check lint pnpm biome check .

step "unit and integration tests (vitest, every package)"
pnpm turbo run test --concurrency=1 --continue --output-logs=full || status=1

if [ -f apps/web/playwright.config.ts ] && [ "${SKIP_E2E:-0}" != "1" ]; then
  step "end-to-end tests (Playwright, Debian Chromium)"
  pnpm --filter @capture/web e2e || status=1
fi

step "summary"
# Every package with a vitest config must have reported, and Playwright too when it ran.
expected=$(for c in packages/*/vitest.config.ts apps/*/vitest.config.ts tooling/*/vitest.config.ts; do
  [ -f "$c" ] && printf 'vitest-%s,' "$(basename "$(dirname "$c")")"; done)
[ -f apps/web/playwright.config.ts ] && [ "${SKIP_E2E:-0}" != "1" ] && expected="${expected}playwright"
export EXPECTED_REPORTS=$expected
node scripts/lib/sum-results.mjs "$TEST_RESULTS_DIR" || status=1
exit $status
