#!/usr/bin/env bash
# Makes Postgres and Redis available on 127.0.0.1 for the demo, the tests and CI, on a fresh Debian 12 machine
# with no systemd: installs the Debian packages when missing, starts the servers, creates the role and database,
# waits until both answer, and prints the URLs. Idempotent: running it twice changes nothing.
#   bash scripts/services.sh up      start (default)
#   bash scripts/services.sh down    stop what this script started
#   bash scripts/services.sh env     print the export lines only (for `eval`)
set -euo pipefail

PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
DB_USER=${DB_USER:-capture}
DB_PASSWORD=${DB_PASSWORD:-capture}
DB_NAME=${DB_NAME:-capture}
STATE_DIR=${SERVICES_STATE_DIR:-/tmp/rtms-capture-services}
DATABASE_URL="postgresql://${DB_USER}:${DB_PASSWORD}@127.0.0.1:${PG_PORT}/${DB_NAME}"
REDIS_URL="redis://127.0.0.1:${REDIS_PORT}"

log() { echo "[services] $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [ $apt_updated -eq 0 ]; then as_root apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >&2
}

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }

ensure_packages() {
  local missing=()
  [ -n "$(pg_version)" ] || missing+=(postgresql postgresql-client)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then log "installing ${missing[*]}"; apt_install "${missing[@]}"; fi
}

pg_ready() { pg_isready -h 127.0.0.1 -p "$PG_PORT" -q; }

start_postgres() {
  local ver; ver=$(pg_version)
  if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$ver main"; then
    log "creating postgres $ver cluster"
    as_root pg_createcluster "$ver" main -p "$PG_PORT" >&2
  fi
  if ! pg_ready; then
    log "starting postgres $ver"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || true
    mkdir -p "$STATE_DIR" && touch "$STATE_DIR/postgres.started"
  fi
  for _ in $(seq 1 60); do pg_ready && break; sleep 0.5; done
  pg_ready || { log "postgres did not become ready on 127.0.0.1:$PG_PORT"; exit 1; }
  # Role with CREATEDB: migrate dev needs a shadow database and tests create one database per suite.
  as_root su postgres -c "psql -q -p $PG_PORT -v ON_ERROR_STOP=1" >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${DB_USER}') THEN
    CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD}';
  ELSE
    ALTER ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD}';
  END IF;
END \$\$;
SQL
  if ! as_root su postgres -c "psql -p $PG_PORT -tAc \"SELECT 1 FROM pg_database WHERE datname='${DB_NAME}'\"" | grep -q 1; then
    as_root su postgres -c "createdb -p $PG_PORT -O ${DB_USER} ${DB_NAME}"
  fi
}

redis_ready() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  if ! redis_ready; then
    log "starting redis"
    mkdir -p "$STATE_DIR"
    # No persistence: queues are rebuilt from Postgres state; a dev/test Redis should not write to disk.
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log" >&2
    touch "$STATE_DIR/redis.started"
  fi
  for _ in $(seq 1 40); do redis_ready && break; sleep 0.25; done
  redis_ready || { log "redis did not become ready on 127.0.0.1:$REDIS_PORT"; exit 1; }
}

print_env() {
  echo "export DATABASE_URL=${DATABASE_URL}"
  echo "export REDIS_URL=${REDIS_URL}"
}

case "${1:-up}" in
  up)
    ensure_packages
    start_postgres
    start_redis
    log "postgres: ${DATABASE_URL}"
    log "redis:    ${REDIS_URL}"
    print_env
    ;;
  down)
    if [ -f "$STATE_DIR/redis.started" ]; then
      redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
      rm -f "$STATE_DIR/redis.started"; log "redis stopped"
    fi
    if [ -f "$STATE_DIR/postgres.started" ]; then
      as_root pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main stop >&2 || true
      rm -f "$STATE_DIR/postgres.started"; log "postgres stopped"
    fi
    ;;
  env) print_env ;;
  *) echo "usage: $0 [up|down|env]" >&2; exit 2 ;;
esac
