#!/usr/bin/env bash
# Baseline HTTP throughput of GET /api/v1/auth/me next to `pgbench -S` on this machine.
#
# Starts the release server against its own database (adelante_load), registers a salon
# and its administrator (or signs in when an earlier run registered it), measures
# GET /api/v1/auth/me with wrk, then `pgbench -S` against a scratch database
# (adelante_pgbench), and prints both figures and their ratio. The server, wrk and pgbench
# share the same cores, so the figures are relative, not absolute capacity.
#
# Needs: PostgreSQL at 127.0.0.1:5432 with trust auth (superuser postgres), Redis at
# 127.0.0.1:6379, pgbench, curl, python3; installs wrk with apt-get when missing.
#
# Environment overrides:
#   BIN                 server binary (default: target/release/adelante, relative to the repo root)
#   PORT                port the server listens on, 127.0.0.1 only (default: 18080; when the
#                       default is taken, the next free port is used)
#   CONNECTIONS         wrk connections and pgbench clients (default: 32)
#   DURATION            seconds of each measured run (default: 15)
#   DB_MAX_CONNECTIONS  server database pool size (default: 20)
#
# Usage: scripts/load-baseline.sh   (or: make load-baseline)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)

BIN=${BIN:-target/release/adelante}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
DB_MAX_CONNECTIONS=${DB_MAX_CONNECTIONS:-20}
PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
LOAD_DB=adelante_load
PGBENCH_DB=adelante_pgbench
PGBENCH_SCALE=10
PGBENCH=${PGBENCH:-/usr/bin/pgbench}
EMAIL=load@example.com
PASSWORD=load-test-password

die() {
    echo "load-baseline: error: $*" >&2
    exit 1
}
step() { echo "==> $*"; }

# --- Prerequisites ------------------------------------------------------------------------
[[ -x $BIN ]] || die "server binary $BIN not found or not executable (build it: cargo build --release)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[[ $CONNECTIONS =~ ^[0-9]+$ && $CONNECTIONS -gt 0 ]] || die "CONNECTIONS must be a positive integer, not '$CONNECTIONS'"
[[ $DURATION =~ ^[0-9]+$ && $DURATION -gt 0 ]] || die "DURATION must be a positive integer (seconds), not '$DURATION'"
[[ $DB_MAX_CONNECTIONS =~ ^[0-9]+$ && $DB_MAX_CONNECTIONS -gt 0 ]] ||
    die "DB_MAX_CONNECTIONS must be a positive integer, not '$DB_MAX_CONNECTIONS'"

for tool in curl python3 psql pg_isready redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
[[ -x $PGBENCH ]] || die "pgbench not found at $PGBENCH"

if ! command -v wrk >/dev/null 2>&1; then
    step "installing wrk"
    if ! apt-get install -y wrk; then
        apt-get update
        apt-get install -y wrk || die "could not install wrk with apt-get"
    fi
fi

pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 5 ||
    die "PostgreSQL does not answer at $PG_HOST:$PG_PORT (pg_isready failed); start it first"
psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1 ||
    die "cannot connect to PostgreSQL at $PG_HOST:$PG_PORT as superuser postgres without a password (trust auth expected)"
[[ $(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null || true) == PONG ]] ||
    die "Redis does not answer at $REDIS_HOST:$REDIS_PORT (redis-cli ping did not return PONG); start it first"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -n ${PORT:-} ]]; then
    port_free "$PORT" || die "port $PORT is already in use"
else
    PORT=18080
    while ! port_free "$PORT"; do
        PORT=$((PORT + 1))
        ((PORT < 18180)) || die "no free port in 18080-18179; set PORT"
    done
fi
BASE=http://127.0.0.1:$PORT

# --- Server -------------------------------------------------------------------------------
WORK_DIR=$(mktemp -d -t adelante-load.XXXXXX)
SETUP_LOG=$WORK_DIR/setup.log   # bootstrap and migrate
SERVER_LOG=$WORK_DIR/server.log # serve
SERVER_PID=
STATUS=0

strip_ansi() { sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g'; }
show_log() {
    local log
    for log in "$SETUP_LOG" "$SERVER_LOG"; do
        if [[ -s $log ]]; then
            echo "--- last 40 lines of $(basename "$log") ---" >&2
            tail -n 40 "$log" | strip_ansi >&2
            echo "--- end of $(basename "$log") ---" >&2
        fi
    done
}

cleanup() {
    STATUS=$?
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if ((STATUS != 0)); then
        show_log
    fi
    rm -rf "$WORK_DIR"
    exit "$STATUS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DATABASE_URL=postgres://adelante_app@$PG_HOST:$PG_PORT/$LOAD_DB
export DATABASE_OWNER_URL=postgres://adelante_owner@$PG_HOST:$PG_PORT/$LOAD_DB
export DATABASE_SUPERUSER_URL=postgres://postgres@$PG_HOST:$PG_PORT/postgres
export REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT
# Keys of this run apart from those of a development server sharing the Redis.
export REDIS_PREFIX=adelante_load:
JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export JWT_SECRET
export BIND_ADDR=127.0.0.1:$PORT
export MAIL_OUTBOX_DIR=$WORK_DIR/outbox
export LOG_FORMAT=text
export RUST_LOG=warn
export NO_COLOR=1
export DB_MAX_CONNECTIONS
# The binary also reads .env; these keep a developer's .env from changing the measurement.
export SMTP_URL=
export TRUST_PROXY=false
mkdir -p "$MAIL_OUTBOX_DIR"

step "bootstrap and migrate database $LOAD_DB"
"$BIN" bootstrap >>"$SETUP_LOG" 2>&1 || die "'adelante bootstrap' failed"
"$BIN" migrate >>"$SETUP_LOG" 2>&1 || die "'adelante migrate' failed"

step "starting $BIN serve --no-worker on $BIND_ADDR (pool $DB_MAX_CONNECTIONS)"
"$BIN" serve --no-worker >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 60); do
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during start-up"
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/health" || true) == 200 ]]; then
        ready=1
        break
    fi
    sleep 0.5
done
((ready)) || die "GET /health did not answer 200 within 30 s"

# --- Account and token --------------------------------------------------------------------
json_field() { # json_field FIELD < body
    python3 -c 'import json, sys
try:
    v = json.load(sys.stdin).get(sys.argv[1])
except Exception:
    v = None
print(v if isinstance(v, str) else "")' "$1"
}

step "registering $EMAIL"
SALON_NAME="Load Salon $(python3 -c 'import secrets; print(secrets.token_hex(4))')"
REGISTER_BODY=$(python3 -c 'import json, sys
print(json.dumps({"email": sys.argv[1], "password": sys.argv[2], "first_name": "Load", "last_name": "Test",
                  "phone": "+380671234567", "salon_name": sys.argv[3]}))' "$EMAIL" "$PASSWORD" "$SALON_NAME")
code=$(curl -s -o "$WORK_DIR/auth.json" -w '%{http_code}' --max-time 30 \
    -H 'Content-Type: application/json' -d "$REGISTER_BODY" "$BASE/api/v1/auth/register" || true)
if [[ $code == 409 ]]; then
    step "$EMAIL already registered (409); signing in"
    LOGIN_BODY=$(python3 -c 'import json, sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' \
        "$EMAIL" "$PASSWORD")
    code=$(curl -s -o "$WORK_DIR/auth.json" -w '%{http_code}' --max-time 30 \
        -H 'Content-Type: application/json' -d "$LOGIN_BODY" "$BASE/api/v1/auth/login" || true)
    [[ $code == 200 ]] || die "POST /api/v1/auth/login answered $code: $(head -c 500 "$WORK_DIR/auth.json" 2>/dev/null)"
elif [[ $code != 201 && $code != 200 ]]; then
    die "POST /api/v1/auth/register answered $code: $(head -c 500 "$WORK_DIR/auth.json" 2>/dev/null)"
fi
TOKEN=$(json_field access_token <"$WORK_DIR/auth.json")
[[ -n $TOKEN ]] || die "no access_token in the answer: $(head -c 500 "$WORK_DIR/auth.json")"

code=$(curl -s -o "$WORK_DIR/me.json" -w '%{http_code}' --max-time 10 \
    -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/auth/me" || true)
[[ $code == 200 ]] || die "GET /api/v1/auth/me answered $code: $(head -c 500 "$WORK_DIR/me.json" 2>/dev/null)"
echo "    GET /api/v1/auth/me -> 200 $(head -c 200 "$WORK_DIR/me.json")"

# --- wrk ----------------------------------------------------------------------------------
ME_URL=$BASE/api/v1/auth/me
step "wrk warm-up (3 s)"
wrk -t2 -c"$CONNECTIONS" -d3s -H "Authorization: Bearer $TOKEN" "$ME_URL" >/dev/null

step "wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency $ME_URL"
WRK_OUT=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$ME_URL")
echo "$WRK_OUT"

ME_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$WRK_OUT")
# "     99%    4.20ms" -> milliseconds
ME_P99=$(awk '$1 == "99%" {
    v = $2; n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }' <<<"$WRK_OUT")
ME_NON2XX=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$WRK_OUT")
ME_SOCKET_ERRORS=$(grep -E '^ *Socket errors:' <<<"$WRK_OUT" | sed 's/^ *Socket errors: *//' || true)
[[ -n $ME_RPS && -n $ME_P99 ]] || die "could not parse Requests/sec and the 99% latency from wrk's output"

# A final check that the server still answers after the load.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $TOKEN" "$ME_URL" || true)
[[ $code == 200 ]] || echo "warning: GET /api/v1/auth/me answered $code after the load" >&2

# Stop the server before pgbench so it does not take CPU from it.
kill -TERM "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# --- pgbench ------------------------------------------------------------------------------
PSQL=(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -Atq)
if [[ -z $("${PSQL[@]}" -d postgres -c "select 1 from pg_database where datname = '$PGBENCH_DB'") ]]; then
    step "creating database $PGBENCH_DB"
    "${PSQL[@]}" -d postgres -c "create database $PGBENCH_DB"
fi
accounts=0
if [[ -n $("${PSQL[@]}" -d "$PGBENCH_DB" -c "select to_regclass('public.pgbench_accounts')") ]]; then
    accounts=$("${PSQL[@]}" -d "$PGBENCH_DB" -c "select count(*) from pgbench_accounts")
fi
if [[ $accounts != $((PGBENCH_SCALE * 100000)) ]]; then
    step "pgbench -i -s $PGBENCH_SCALE $PGBENCH_DB"
    "$PGBENCH" -h "$PG_HOST" -p "$PG_PORT" -U postgres -i -s "$PGBENCH_SCALE" -q "$PGBENCH_DB"
fi

step "pgbench -S -c $CONNECTIONS -j 2 -T $DURATION -n $PGBENCH_DB"
PGB_OUT=$("$PGBENCH" -h "$PG_HOST" -p "$PG_PORT" -U postgres -S -c "$CONNECTIONS" -j 2 -T "$DURATION" -n "$PGBENCH_DB")
echo "$PGB_OUT"
PGB_TPS=$(awk '/^tps = / && /(without initial connection time|excluding connections establishing)/ {
    printf "%.0f", $3 }' <<<"$PGB_OUT")
[[ -n $PGB_TPS ]] || die "could not parse tps from pgbench's output"

# --- Summary ------------------------------------------------------------------------------
RATIO=$(awk -v a="$ME_RPS" -v b="$PGB_TPS" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
SERVER_PROBLEMS=$(strip_ansi <"$SERVER_LOG" | grep -cE '\b(ERROR|WARN)\b' || true)

echo
echo "================================ load baseline ================================"
printf '%-22s: %s req/s   p99 %s ms   (wrk, %s connections, %s s)\n' \
    "GET /api/v1/auth/me" "$ME_RPS" "$ME_P99" "$CONNECTIONS" "$DURATION"
printf '%-22s: %s tps                   (%s clients, %s s)\n' "pgbench -S" "$PGB_TPS" "$CONNECTIONS" "$DURATION"
printf '%-22s: %s\n' "ratio me / pgbench -S" "$RATIO"
[[ -z $ME_NON2XX ]] || printf '%-22s: %s\n' "non-2xx answers (wrk)" "$ME_NON2XX"
[[ -z $ME_SOCKET_ERRORS ]] || printf '%-22s: %s\n' "socket errors (wrk)" "$ME_SOCKET_ERRORS"
printf '%-22s: %s (DB_MAX_CONNECTIONS=%s, %s cores shared by server, wrk and pgbench)\n' \
    "server" "$(basename "$BIN") serve --no-worker" "$DB_MAX_CONNECTIONS" "$(nproc)"
if ((SERVER_PROBLEMS > 0)); then
    printf '%-22s: %s ERROR/WARN lines during the run, by message:\n' "server log" "$SERVER_PROBLEMS"
    # Drop the timestamp so equal messages group together.
    strip_ansi <"$SERVER_LOG" | grep -E '\b(ERROR|WARN)\b' | sed -E 's/^[0-9T:.Z-]+ +//' |
        sort | uniq -c | sort -rn | head -n 8 | cut -c1-300
fi
echo "==============================================================================="
