# Sourced by scripts/test.sh and scripts/demo.sh: makes a fresh Debian 12 machine ready to build and run the
# project. Installs only what is missing: pnpm (pinned), Debian's Chromium (for Playwright), the workspace's
# node_modules; then starts Postgres and Redis (scripts/services.sh) and exports their URLs.
# Nothing here downloads anything but npm packages and Debian packages.

PNPM_VERSION=10.34.9
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CI=${CI:-}

step() { printf '\n==> %s\n' "$*" >&2; }

ensure_pnpm() {
  if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    step "installing pnpm $PNPM_VERSION"
    npm install -g --silent "pnpm@$PNPM_VERSION" >&2
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian chromium (for Playwright)"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
  fi
}

ensure_services() {
  step "starting Postgres and Redis"
  eval "$(bash scripts/services.sh up)"
  export DATABASE_URL REDIS_URL
}

ensure_dependencies() {
  step "installing workspace dependencies"
  pnpm install --frozen-lockfile --prefer-offline >&2
}

migrate_database() {
  step "applying migrations"
  pnpm --filter @capture/db migrate:deploy >&2
}
