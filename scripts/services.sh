#!/usr/bin/env bash
# PostgreSQL (15 or newer) and Redis on loopback, for `make run`, `make test` and `.ci/run`.
#
#   scripts/services.sh up [--no-redis] [--test-tools]   start what does not answer; install it first
#                                                        on Debian/Ubuntu as root or with sudo
#   scripts/services.sh down                             stop both (the CI check of a fresh start)
#   scripts/services.sh status                           say what answers
#
# The project connects over loopback without a password as `postgres` (to create its roles and
# the test databases) and as its own roles `adelante_owner` and `adelante_app`. A PostgreSQL this
# script installs is set up that way: `trust` for 127.0.0.1 and ::1 in pg_hba.conf, nothing else
# changed. On any other system, or without the rights, it stops and prints the commands to run.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
MIN_PG=150000

say() { printf '==> %s\n' "$*" >&2; }

# Runs a command as root: directly, or through passwordless sudo. Fails when neither is possible.
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

can_apt() {
  [ -f /etc/debian_version ] && command -v apt-get >/dev/null || return 1
  [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }
}

apt_updated=false
apt_install() {
  say "installing $* with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! $apt_updated; then
    as_root apt-get update -qq >/dev/null
    apt_updated=true
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Prints what to run by hand and stops. $1 names the missing part.
manual() {
  cat >&2 <<EOF

Adelante needs $1 on loopback and could not set it up here (this is not Debian/Ubuntu, or
there are no root rights). Start it in one of these ways, then run the command again:

  Debian/Ubuntu:  sudo apt-get install -y postgresql redis-server
                  sudo pg_ctlcluster \$(ls /etc/postgresql | sort -V | tail -n 1) main start
                  sudo redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no
                  and trust loopback in pg_hba.conf (see README, "Services")
  macOS:          brew install postgresql@16 redis && brew services start postgresql@16 && brew services start redis
                  createuser -s postgres
  Docker:         docker compose up -d postgres redis

PostgreSQL must answer on $PG_HOST:$PG_PORT to \`psql -U postgres\` without a password
(version 15 or newer); Redis on $PG_HOST:$REDIS_PORT.
EOF
  exit 1
}

pg_answers() { command -v pg_isready >/dev/null && pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; }
pg_query() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -w -qAt -c "$1" 2>/dev/null; }
redis_answers() { command -v redis-cli >/dev/null && [ "$(redis-cli -h "$PG_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# Debian's clusters, newest first.
clusters() { ls /etc/postgresql 2>/dev/null | sort -Vr; }

trust_loopback() {
  local hba=$1
  grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba" && return 0
  say "trusting loopback connections in $hba"
  as_root sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
}

postgres_up() {
  if ! command -v pg_isready >/dev/null || ! command -v psql >/dev/null; then
    can_apt || manual "the PostgreSQL client (psql, pg_isready)"
    apt_install postgresql-client
  fi
  if ! pg_answers; then
    local version
    version=$(clusters | head -n 1)
    if [ -z "$version" ]; then
      can_apt || manual "PostgreSQL 15 or newer"
      apt_install postgresql postgresql-contrib
      version=$(clusters | head -n 1)
      [ -n "$version" ] || manual "PostgreSQL 15 or newer"
      trust_loopback "/etc/postgresql/$version/main/pg_hba.conf"
    fi
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
      || as_root pg_ctlcluster "$version" main start || manual "a running PostgreSQL"
    for _ in $(seq 1 60); do pg_answers && break; sleep 0.5; done
    pg_answers || manual "a running PostgreSQL (it did not answer on $PG_HOST:$PG_PORT)"
  fi
  local num
  num=$(pg_query "show server_version_num") || {
    echo "PostgreSQL answers on $PG_HOST:$PG_PORT but refuses 'psql -U postgres' without a password." >&2
    manual "loopback access as postgres"
  }
  if [ "$num" -lt "$MIN_PG" ]; then
    echo "PostgreSQL on $PG_HOST:$PG_PORT is $(pg_query 'show server_version'); Adelante needs 15 or newer." >&2
    manual "PostgreSQL 15 or newer"
  fi
  say "PostgreSQL $(pg_query 'show server_version') answers on $PG_HOST:$PG_PORT"
}

redis_up() {
  if ! command -v redis-cli >/dev/null; then
    can_apt || manual "redis-cli"
    apt_install redis-tools
  fi
  if ! redis_answers; then
    if ! command -v redis-server >/dev/null; then
      can_apt || manual "Redis"
      apt_install redis-server
    fi
    say "starting Redis"
    redis-server --daemonize yes --bind "$PG_HOST" --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
    for _ in $(seq 1 40); do redis_answers && break; sleep 0.25; done
    redis_answers || manual "a running Redis (it did not answer on $PG_HOST:$REDIS_PORT)"
  fi
  say "Redis answers on $PG_HOST:$REDIS_PORT"
}

# What the test suite runs beside the server: pdftotext reads the receipt PDFs back.
test_tools() {
  command -v pdftotext >/dev/null && return 0
  can_apt || { echo "the tests need pdftotext: install poppler-utils (apt) or poppler (brew)" >&2; exit 1; }
  apt_install poppler-utils
}

down() {
  if redis_answers; then
    say "stopping Redis"
    redis-cli -h "$PG_HOST" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  if pg_answers; then
    local version
    version=$(clusters | head -n 1)
    [ -n "$version" ] || { echo "PostgreSQL was not started by Debian's tools; stop it yourself" >&2; exit 1; }
    say "stopping PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main stop 2>/dev/null \
      || as_root pg_ctlcluster "$version" main stop
  fi
  for _ in $(seq 1 40); do pg_answers || redis_answers || return 0; sleep 0.25; done
  echo "services still answer after stop" >&2
  exit 1
}

cmd=${1:-up}
shift || true
case $cmd in
  up)
    redis=true
    tools=false
    for arg in "$@"; do
      case $arg in
        --no-redis) redis=false ;;
        --test-tools) tools=true ;;
        *) echo "unknown option $arg" >&2; exit 2 ;;
      esac
    done
    postgres_up
    if $redis; then redis_up; fi
    if $tools; then test_tools; fi
    ;;
  down) down ;;
  status)
    if pg_answers; then echo "PostgreSQL: answers"; else echo "PostgreSQL: down"; fi
    if redis_answers; then echo "Redis: answers"; else echo "Redis: down"; fi
    ;;
  *) echo "usage: $0 up [--no-redis] [--test-tools] | down | status" >&2; exit 2 ;;
esac
