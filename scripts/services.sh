#!/usr/bin/env bash
# Starts local PostgreSQL and Redis bound to 127.0.0.1 where they are not already
# running, installing the Debian packages when they are missing. Idempotent.
# Used by .ci/run; run it by hand before `npm test` on a fresh machine.
#
#   bash scripts/services.sh          # ensure both
#   bash scripts/services.sh --check  # only report, exit 1 if one is down
set -uo pipefail

PG_PORT="${PGPORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
log() { printf '[services] %s\n' "$*"; }

pg_up() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }
redis_up() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    # no client: speak RESP over bash's /dev/tcp
    (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && read -r -t 2 line <&3 && [[ "$line" == +PONG* ]]) 2>/dev/null
  fi
}

if [ "${1:-}" = "--check" ]; then
  ok=0
  if pg_up; then log "postgresql: up on 127.0.0.1:$PG_PORT"; else log "postgresql: DOWN"; ok=1; fi
  if redis_up; then log "redis: up on 127.0.0.1:$REDIS_PORT"; else log "redis: DOWN"; ok=1; fi
  exit $ok
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

wait_for() { # name, check-fn
  for _ in $(seq 1 60); do "$2" && return 0; sleep 0.5; done
  log "$1 did not come up"; return 1
}

# ---------------------------------------------------------------- PostgreSQL
if pg_up; then
  log "postgresql: already running on 127.0.0.1:$PG_PORT"
else
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "postgresql: installing Debian package"
    apt_install postgresql postgresql-client
  fi
  ver="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  if ! ls /etc/postgresql/"$ver"/main >/dev/null 2>&1; then
    log "postgresql: creating cluster $ver/main"
    $SUDO pg_createcluster "$ver" main >/dev/null
  fi
  conf="/etc/postgresql/$ver/main"
  # local only, trust auth for the loopback (a development and CI database)
  $SUDO sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$conf/postgresql.conf"
  $SUDO sed -i "s/^#\?port = .*/port = $PG_PORT/" "$conf/postgresql.conf"
  if ! grep -q "aurex-trust" "$conf/pg_hba.conf"; then
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust # aurex-trust\nlocal all all trust # aurex-trust' "$conf/pg_hba.conf"
  fi
  log "postgresql: starting $ver/main"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || $SUDO pg_ctlcluster "$ver" main start
  wait_for postgresql pg_up || exit 1
  for db in test root; do
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 ||
      psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $db" || true
  done
  log "postgresql: up on 127.0.0.1:$PG_PORT"
fi

# --------------------------------------------------------------------- Redis
if redis_up; then
  log "redis: already running on 127.0.0.1:$REDIS_PORT"
else
  if ! command -v redis-server >/dev/null 2>&1; then
    log "redis: installing Debian package"
    apt_install redis-server
  fi
  mkdir -p /tmp/aurex-redis
  log "redis: starting"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp/aurex-redis --logfile /tmp/aurex-redis/redis.log
  wait_for redis redis_up || exit 1
  log "redis: up on 127.0.0.1:$REDIS_PORT"
fi
