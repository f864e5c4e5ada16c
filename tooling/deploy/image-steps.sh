#!/usr/bin/env bash
# The build steps of the production images, one place for both their users: the Dockerfiles' RUN lines call
# this script, and replay-image.sh runs the same steps on a host without a Docker engine (CI does), in
# plain folders. Run from the folder the step works in (the image's /repo).
#   image-steps.sh prune <app> <out>     turbo prune @capture/<app> --docker into <out> (from the repo root)
#   image-steps.sh install-all           every dependency, for the builder stage
#   image-steps.sh install-prod          production dependencies only, for the runtime stage
#   image-steps.sh build <app>           Prisma client, then compile the app to JavaScript
# IMAGE_STEPS_OFFLINE=1 adds --offline to installs (the replay uses the local pnpm store; an image build
# downloads from the npm registry). Nothing downloads anything else: install scripts are not run (the db
# package's postinstall `prisma generate` would, out of out/json, fetch a native engine from Prisma's CDN),
# and the Prisma client is generated in the builder stage, where its config and dev dependencies are.
set -euo pipefail

step="${1:?step: prune | install-all | install-prod | build}"
offline=()
if [[ "${IMAGE_STEPS_OFFLINE:-0}" == "1" ]]; then offline=(--offline); fi
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

app_dir() {
  case "$1" in
    worker) echo "apps/worker" ;;
    web) echo "apps/web" ;;
    zoom-sim) echo "packages/zoom-sim" ;;
    *) echo "image-steps: unknown app $1 (worker | web | zoom-sim)" >&2; return 2 ;;
  esac
}

case "$step" in
  prune)
    app="${2:?app}"
    out="${3:?out folder}"
    app_dir "$app" >/dev/null
    turbo prune "@capture/$app" --docker --out-dir "$out"
    # Every package's vitest.config.ts imports tooling/vitest, which is no workspace package, so prune leaves
    # it out; `next build` type-checks those configs too.
    mkdir -p "$out/full/tooling"
    cp -R tooling/vitest "$out/full/tooling/"
    ;;
  install-all)
    pnpm install --frozen-lockfile --ignore-scripts "${offline[@]}"
    ;;
  install-prod)
    # Every package of the pruned workspace gets its production dependencies, also those the app only uses
    # in tests (turbo prune keeps zoom-sim for the worker; pnpm filters do not leave it out).
    pnpm install --frozen-lockfile --prod --ignore-scripts "${offline[@]}"
    ;;
  build)
    app="${2:?app}"
    dir="$(app_dir "$app")"
    # The generated client is TypeScript source that the compile step below takes in.
    if [[ -d packages/db ]]; then pnpm --filter @capture/db generate; fi
    case "$app" in
      worker) node "$here/scripts/bundle-app.mjs" "$dir" src/main.ts dist/main.js ;;
      zoom-sim) node "$here/scripts/bundle-app.mjs" "$dir" src/cli.ts dist/cli.js ;;
      web) pnpm --filter @capture/web build ;;
    esac
    ;;
  *)
    echo "image-steps: unknown step $step" >&2
    exit 2
    ;;
esac
