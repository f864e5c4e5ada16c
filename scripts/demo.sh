#!/usr/bin/env bash
# The product on its embedded default, on one machine: local Postgres and Redis, zoom-sim as Zoom with a
# scripted meeting, the worker, and the portal. Prints the portal URL and the demo login. Ctrl-C stops
# what it started (Postgres and Redis keep running: `bash scripts/services.sh down` stops them).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/toolchain.sh
ensure_pnpm
ensure_services
ensure_dependencies
migrate_database

WEB_PORT=${PORT:-3000}
SIM_PORT=${SIM_PORT:-9100}
HEALTH_PORT=${HEALTH_PORT:-9464}
STATE=.data/demo
mkdir -p "$STATE" logs

# Local secrets for the demo, generated once and kept (gitignored) so restarts can decrypt what they stored.
if [ ! -f "$STATE/secrets.env" ]; then
  {
    echo "CAPTURE_ENCRYPTION_KEYS=$(node -e "console.log('demo1:'+require('crypto').randomBytes(32).toString('base64'))")"
    echo "NEXTAUTH_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")"
  } >"$STATE/secrets.env"
fi
set -a
source "$STATE/secrets.env"
# The demo's Zoom is zoom-sim: the seed sample's variables point the default team at it.
LOG_LEVEL=${LOG_LEVEL:-info}
FRAMES_DIR=${FRAMES_DIR:-$PWD/recordings}
ZOOM_API_BASE=http://127.0.0.1:$SIM_PORT
ZOOM_OAUTH_BASE=http://127.0.0.1:$SIM_PORT
ZOOM_CLIENT_ID=demo-rtms-client-id
ZOOM_CLIENT_SECRET=demo-rtms-client-secret
ZOOM_SECRET_TOKEN=demo-webhook-secret-token
S2S_ZOOM_CLIENT_ID=demo-s2s-client-id
S2S_ZOOM_CLIENT_SECRET=demo-s2s-client-secret
ZOOM_ACCOUNT_ID=demo-account
ZOOM_MEETING_NUMBER=85746352910
ZOOM_MEETING_PASSCODE=demo123
ZOOM_EVENT_WS_BASE="ws://127.0.0.1:$SIM_PORT/ws?subscriptionId=demo-subscription"
# zoom-sim is on loopback: the only host the worker may dial in the demo.
RTMS_ALLOWED_HOSTS=127.0.0.1
# The demo shows every camera covered, not only whoever speaks.
CAPTURE_VIDEO_MODE=everyone
PORT=$WEB_PORT
HEALTH_PORT=$HEALTH_PORT
NEXTAUTH_URL=http://127.0.0.1:$WEB_PORT
PUBLIC_BASE_URL=http://127.0.0.1:$WEB_PORT
DEMO_ADMIN_EMAIL=${DEMO_ADMIN_EMAIL:-admin@demo.local}
DEMO_ADMIN_PASSWORD=${DEMO_ADMIN_PASSWORD:-demo-password}
set +a

step "seeding the demo team"
pnpm --filter @capture/db seed >&2

step "building the portal"
pnpm turbo run build --filter @capture/web --output-logs=errors-only >&2

pids=()
cleanup() {
  trap - EXIT INT TERM
  step "stopping the demo"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

start() { # name, command...: runs in the background, logs to logs/<name>.log
  local name=$1; shift
  "$@" >"logs/$name.log" 2>&1 &
  pids+=($!)
}

wait_http() { # url, name
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "$2 did not start: see logs/$2.log" >&2
  tail -n 30 "logs/$2.log" >&2
  exit 1
}

step "starting zoom-sim, the worker and the portal"
start zoom-sim node packages/zoom-sim/bin/zoom-sim.js --port "$SIM_PORT" \
  --scenario packages/zoom-sim/scenarios/demo.yaml
wait_http "http://127.0.0.1:$SIM_PORT/_sim/health" zoom-sim
start worker pnpm --filter @capture/worker start
wait_http "http://127.0.0.1:$HEALTH_PORT/health" worker
start web pnpm --filter @capture/web start
wait_http "http://127.0.0.1:$WEB_PORT/api/health" web

cat <<MSG

  RTMS Capture demo is running.

    Portal:   http://127.0.0.1:$WEB_PORT
    Login:    $DEMO_ADMIN_EMAIL / $DEMO_ADMIN_PASSWORD
    Frames:   $FRAMES_DIR/
    Metrics:  http://127.0.0.1:$HEALTH_PORT/metrics
    Logs:     logs/zoom-sim.log, logs/worker.log, logs/web.log

  Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "a demo process exited: see logs/" >&2
exit 1
