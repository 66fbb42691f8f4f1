#!/usr/bin/env bash
# Clients figures on this machine: export of 50,000 clients and import of the same workbook.
#
# Drops and recreates its own database (adelante_bench_clients), starts the release server
# against it, registers two salons through the API and seeds salon A with 50,000 clients by
# SQL as superuser postgres (which bypasses row-level security, so the insert names its
# salon_id). Then it measures and prints (figures with the targets beside them; no pass/fail):
#   1. GET /api/v1/clients/export of salon A (every client, one .xlsx): wall time by curl,
#      size, rows in the workbook;
#   2. POST /api/v1/clients/import of that workbook into salon B (empty), which answers 202
#      and runs in the background: wall time from the start of the upload until
#      GET /api/v1/clients/import/{jobId} says completed (polled every 0.1 s), the job's own
#      time, and the clients salon B holds afterwards;
#   3. the same workbook imported into salon B again with onDuplicate=update, so that every
#      row updates an existing client (no target; the update path at scale);
#   4. the server's peak resident memory (VmHWM of /proc/<pid>/status) at start-up and over
#      each run (the peak is reset before each run through /proc/<pid>/clear_refs).
# The server, curl and PostgreSQL share the same cores, so the figures are relative.
#
# Needs: PostgreSQL at 127.0.0.1:5432 with trust auth (superuser postgres), Redis at
# 127.0.0.1:6379, curl, python3. Builds the release binary (cargo build --release) when it is
# missing or older than src/, migrations/ or policies/ (only for the default BIN).
#
# Environment overrides:
#   BIN                 server binary (default: target/release/adelante, relative to the repo root)
#   PORT                port the server listens on, 127.0.0.1 only (default: 18190, or the next free)
#   CLIENTS             clients seeded in salon A (default: 50000)
#   DB_MAX_CONNECTIONS  server database pool size (default: 10)
#   SKIP_BUILD          1: never build, use BIN as it is
#
# Usage: scripts/bench-clients.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)

DEFAULT_BIN=target/release/adelante
BIN=${BIN:-$DEFAULT_BIN}
CLIENTS=${CLIENTS:-50000}
DB_MAX_CONNECTIONS=${DB_MAX_CONNECTIONS:-10}
SKIP_BUILD=${SKIP_BUILD:-0}
PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
BENCH_DB=adelante_bench_clients
HELPER=$REPO_ROOT/scripts/bench_clients.py
PASSWORD=bench-clients-password
EMAIL_A=export@bench.example.com
EMAIL_B=import@bench.example.com
# Targets printed beside the figures.
TARGET_EXPORT_S=3
TARGET_IMPORT_S=10
IMPORT_TIMEOUT_S=300

die() {
    echo "bench-clients: error: $*" >&2
    exit 1
}
step() { echo "==> $*"; }

# --- Prerequisites ------------------------------------------------------------------------
for v in CLIENTS DB_MAX_CONNECTIONS; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || die "$v must be a positive integer, not '${!v}'"
done
for tool in curl python3 psql pg_isready redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
[[ -f $HELPER ]] || die "helper $HELPER not found"

if [[ $BIN == "$DEFAULT_BIN" && $SKIP_BUILD != 1 ]]; then
    stale=
    if [[ ! -x $BIN ]]; then
        stale="missing"
    else
        newer=$(find src migrations policies Cargo.toml Cargo.lock -newer "$BIN" -type f -print -quit 2>/dev/null || true)
        [[ -z $newer ]] || stale="older than $newer"
    fi
    if [[ -n $stale ]]; then
        command -v cargo >/dev/null 2>&1 || die "$BIN is $stale and cargo is not installed"
        step "$BIN is $stale: cargo build --release"
        cargo build --release || die "cargo build --release failed"
    fi
fi
[[ -x $BIN ]] || die "server binary $BIN not found or not executable (build it: cargo build --release)"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

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
    PORT=18190
    while ! port_free "$PORT"; do
        PORT=$((PORT + 1))
        ((PORT < 18290)) || die "no free port in 18190-18289; set PORT"
    done
fi
BASE=http://127.0.0.1:$PORT

# --- Server -------------------------------------------------------------------------------
WORK_DIR=$(mktemp -d -t adelante-bench-clients.XXXXXX)
SETUP_LOG=$WORK_DIR/setup.log
SERVER_LOG=$WORK_DIR/server.log
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

stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}

cleanup() {
    STATUS=$?
    stop_server
    if ((STATUS != 0)); then
        show_log
    fi
    rm -rf "$WORK_DIR"
    exit "$STATUS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DATABASE_URL=postgres://adelante_app@$PG_HOST:$PG_PORT/$BENCH_DB
export DATABASE_OWNER_URL=postgres://adelante_owner@$PG_HOST:$PG_PORT/$BENCH_DB
export DATABASE_SUPERUSER_URL=postgres://postgres@$PG_HOST:$PG_PORT/postgres
export REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT
export REDIS_PREFIX=adelante_bench_clients:
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

PSQL=(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -Atq)

step "recreating database $BENCH_DB (bootstrap and migrate)"
"${PSQL[@]}" -d postgres -c "drop database if exists $BENCH_DB with (force)" >>"$SETUP_LOG" 2>&1 ||
    die "could not drop database $BENCH_DB"
"$BIN" bootstrap >>"$SETUP_LOG" 2>&1 || die "'adelante bootstrap' failed"
"$BIN" migrate >>"$SETUP_LOG" 2>&1 || die "'adelante migrate' failed"

step "starting $BIN serve (with its worker: imports run as jobs) on $BIND_ADDR (pool $DB_MAX_CONNECTIONS)"
"$BIN" serve >>"$SERVER_LOG" 2>&1 &
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

# --- Helpers ------------------------------------------------------------------------------
kv() { # kv KEY < file of KEY=value lines
    awk -F= -v k="$1" '$1 == k { sub(/^[^=]*=/, ""); print; found = 1; exit } END { if (!found) print "" }'
}
sql() { "${PSQL[@]}" -d "$BENCH_DB" "$@"; }
now_ms() { date +%s%3N; }
# Peak and current resident memory of the server, in MiB.
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
# Resets VmHWM to the current RSS (Linux >= 4.0), so the next reading is the peak of one run.
reset_hwm() { echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || echo "warning: cannot reset VmHWM" >&2; }

# register EMAIL FIRST_NAME SALON_NAME -> prints the access token
register() {
    local body code
    body=$(python3 -c 'import json, sys
print(json.dumps({"email": sys.argv[1], "password": sys.argv[2], "first_name": sys.argv[3], "last_name": "Bench",
                  "phone": "+380671234567", "salon_name": sys.argv[4]}))' "$1" "$PASSWORD" "$2" "$3")
    code=$(curl -s -o "$WORK_DIR/auth.json" -w '%{http_code}' --max-time 30 \
        -H 'Content-Type: application/json' -d "$body" "$BASE/api/v1/auth/register" || true)
    [[ $code == 201 || $code == 200 ]] ||
        die "POST /api/v1/auth/register ($1) answered $code: $(head -c 500 "$WORK_DIR/auth.json" 2>/dev/null)"
    python3 "$HELPER" field "$WORK_DIR/auth.json" access_token | kv VALUE
}

# --- Salons and data ----------------------------------------------------------------------
step "registering salon A (export, $EMAIL_A) and salon B (import, $EMAIL_B)"
TOKEN_A=$(register "$EMAIL_A" "Export" "Bench Clients Export")
TOKEN_B=$(register "$EMAIL_B" "Import" "Bench Clients Import")
[[ -n $TOKEN_A && -n $TOKEN_B ]] || die "no access_token in a register answer"
SALON_A=$(sql -c "select salon_id from users where email = '$EMAIL_A'")
SALON_B=$(sql -c "select salon_id from users where email = '$EMAIL_B'")
[[ $SALON_A =~ ^[0-9]+$ && $SALON_B =~ ^[0-9]+$ ]] || die "could not find the salons of $EMAIL_A and $EMAIL_B"
HWM_START=$(hwm_mib)

step "seeding salon A ($SALON_A): $CLIENTS clients with every card field"
sql >/dev/null <<SQL
begin;
insert into clients (salon_id, first_name, middle_name, last_name, phone, email, birth_date, gender, source,
                     card_number, discount_bp, bonus_balance_minor, notes)
select $SALON_A,
       (array['Марія', 'Олена', 'Ірина', 'Анна', 'Оксана', 'Наталія', 'Тетяна', 'Юлія', 'Софія', 'Катерина'])[1 + g % 10],
       case when g % 3 = 0 then 'Іванівна' else '' end,
       (array['Петренко', 'Коваль', 'Шевченко', 'Бондаренко', 'Ткаченко', 'Кравченко', 'Олійник', 'Мельник'])[1 + g % 8] || '-' || g,
       '+38067' || lpad((1000000 + g)::text, 7, '0'),
       case when g % 2 = 0 then 'client' || g || '@example.com' end,
       case when g % 4 <> 0 then date '1960-01-01' + g % 15000 end,
       (array['female', 'male', 'other'])[1 + g % 3],
       (array['vip', 'regular', 'new', 'inactive'])[1 + g % 4],
       case when g % 5 = 0 then 'C-' || g end,
       (g % 21) * 50,
       (g % 1000) * 125,
       case when g % 7 = 0 then 'Примітка до клієнта ' || g else '' end
from generate_series(1, $CLIENTS) g;
commit;
analyze clients;
SQL
N_A=$(sql -c "select count(*) from clients where salon_id = $SALON_A")
[[ $N_A == "$CLIENTS" ]] || die "seeding produced $N_A clients, not $CLIENTS"
echo "    salon A: $N_A clients"

# --- 1. Export ----------------------------------------------------------------------------
EXPORT_FILE=$WORK_DIR/clients.xlsx
step "GET /api/v1/clients/export (salon A)"
reset_hwm
HWM_BEFORE_EXPORT=$(hwm_mib)
read -r EXPORT_CODE EXPORT_S < <(curl -s -o "$EXPORT_FILE" -w '%{http_code} %{time_total}\n' --max-time 120 \
    -H "Authorization: Bearer $TOKEN_A" "$BASE/api/v1/clients/export" || true)
HWM_EXPORT=$(hwm_mib)
[[ $EXPORT_CODE == 200 ]] || die "GET /api/v1/clients/export answered $EXPORT_CODE: $(head -c 300 "$EXPORT_FILE")"
EXPORT_BYTES=$(wc -c <"$EXPORT_FILE")
python3 "$HELPER" xlsx-rows "$EXPORT_FILE" >"$WORK_DIR/xlsx.kv"
EXPORT_ROWS=$(kv ROWS <"$WORK_DIR/xlsx.kv")
echo "    200 in $EXPORT_S s, $EXPORT_BYTES bytes, $EXPORT_ROWS rows (header included)"

# --- 2. Import ----------------------------------------------------------------------------
step "POST /api/v1/clients/import of that workbook into salon B, then poll the job"
reset_hwm
HWM_BEFORE_IMPORT=$(hwm_mib)
T0=$(now_ms)
IMPORT_CODE=$(curl -s -o "$WORK_DIR/import.json" -w '%{http_code}' --max-time 120 \
    -H "Authorization: Bearer $TOKEN_B" \
    -F "file=@$EXPORT_FILE;type=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
    "$BASE/api/v1/clients/import" || true)
T_ACCEPTED=$(now_ms)
[[ $IMPORT_CODE == 202 ]] || die "POST /api/v1/clients/import answered $IMPORT_CODE: $(head -c 500 "$WORK_DIR/import.json")"
JOB=$(python3 "$HELPER" field "$WORK_DIR/import.json" jobId | kv VALUE)
[[ $JOB =~ ^[0-9]+$ ]] || die "no jobId in $(head -c 300 "$WORK_DIR/import.json")"
python3 "$HELPER" poll "$BASE/api/v1/clients/import/$JOB" "$TOKEN_B" "$IMPORT_TIMEOUT_S" >"$WORK_DIR/poll.kv"
T1=$(now_ms)
HWM_IMPORT=$(hwm_mib)
RSS_END=$(rss_mib)
JOB_STATUS=$(kv STATUS <"$WORK_DIR/poll.kv")
JOB_IMPORTED=$(kv IMPORTED <"$WORK_DIR/poll.kv")
JOB_FAILED=$(kv FAILED <"$WORK_DIR/poll.kv")
JOB_SKIPPED=$(kv SKIPPED <"$WORK_DIR/poll.kv")
JOB_SERVER_MS=$(kv SERVER_MS <"$WORK_DIR/poll.kv")
N_B=$(sql -c "select count(*) from clients where salon_id = $SALON_B")
SAME=$(sql -c "select count(*) from clients a join clients b on b.phone = a.phone and b.salon_id = $SALON_B
    where a.salon_id = $SALON_A and a.name = b.name and a.email is not distinct from b.email
      and a.birth_date is not distinct from b.birth_date and a.discount_bp = b.discount_bp
      and a.bonus_balance_minor = b.bonus_balance_minor and a.notes = b.notes
      and a.card_number is not distinct from b.card_number and a.gender is not distinct from b.gender
      and a.source is not distinct from b.source")
IMPORT_MS=$((T1 - T0))
UPLOAD_MS=$((T_ACCEPTED - T0))
echo "    job $JOB: $JOB_STATUS in $IMPORT_MS ms end to end (202 after $UPLOAD_MS ms); salon B holds $N_B clients"

# --- 3. Re-import with onDuplicate=update -------------------------------------------------
step "POST /api/v1/clients/import?onDuplicate=update of the same workbook into salon B"
reset_hwm
T0=$(now_ms)
UPDATE_CODE=$(curl -s -o "$WORK_DIR/update.json" -w '%{http_code}' --max-time 120 \
    -H "Authorization: Bearer $TOKEN_B" \
    -F "file=@$EXPORT_FILE;type=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
    "$BASE/api/v1/clients/import?onDuplicate=update" || true)
[[ $UPDATE_CODE == 202 ]] || die "POST /api/v1/clients/import?onDuplicate=update answered $UPDATE_CODE: $(head -c 500 "$WORK_DIR/update.json")"
UPDATE_JOB=$(python3 "$HELPER" field "$WORK_DIR/update.json" jobId | kv VALUE)
python3 "$HELPER" poll "$BASE/api/v1/clients/import/$UPDATE_JOB" "$TOKEN_B" "$IMPORT_TIMEOUT_S" >"$WORK_DIR/poll-update.kv"
T1=$(now_ms)
HWM_UPDATE=$(hwm_mib)
UPDATE_MS=$((T1 - T0))
UPDATE_STATUS=$(kv STATUS <"$WORK_DIR/poll-update.kv")
UPDATE_UPDATED=$(kv UPDATED <"$WORK_DIR/poll-update.kv")
UPDATE_IMPORTED=$(kv IMPORTED <"$WORK_DIR/poll-update.kv")
echo "    job $UPDATE_JOB: $UPDATE_STATUS in $UPDATE_MS ms, updated $UPDATE_UPDATED"

SERVER_PROBLEMS=$(strip_ansi <"$SERVER_LOG" | grep -cE '\b(ERROR|WARN)\b' || true)
stop_server

# --- Summary ------------------------------------------------------------------------------
IMPORT_S=$(awk -v ms="$IMPORT_MS" 'BEGIN { printf "%.2f", ms / 1000 }')
echo
echo "================================ clients bench ================================="
echo "1. export: GET /api/v1/clients/export, salon A with $N_A clients"
printf '   %-24s: %s s   (target <= %s s)\n' "wall time (curl)" "$EXPORT_S" "$TARGET_EXPORT_S"
printf '   %-24s: %s bytes, %s rows including the header\n' "workbook" "$EXPORT_BYTES" "$EXPORT_ROWS"
printf '   %-24s: %s MiB (%s MiB before the request)\n' "server peak RSS (VmHWM)" "$HWM_EXPORT" "$HWM_BEFORE_EXPORT"
echo "2. import: POST /api/v1/clients/import of that workbook into salon B (background job $JOB)"
printf '   %-24s: %s s   (target <= %s s; 202 after %s ms)\n' "upload -> completed" "$IMPORT_S" "$TARGET_IMPORT_S" "$UPLOAD_MS"
printf '   %-24s: %s ms (finishedAt - createdAt)\n' "job on the server" "${JOB_SERVER_MS:-n/a}"
printf '   %-24s: %s, imported %s, skipped %s, failed %s\n' "result" "$JOB_STATUS" "$JOB_IMPORTED" "$JOB_SKIPPED" "$JOB_FAILED"
printf '   %-24s: %s in salon B, %s identical to salon A card for card\n' "clients (SQL)" "$N_B" "$SAME"
printf '   %-24s: %s MiB (%s MiB before the upload; RSS %s MiB at the end)\n' "server peak RSS (VmHWM)" "$HWM_IMPORT" "$HWM_BEFORE_IMPORT" "$RSS_END"
echo "3. re-import of the same workbook into salon B with onDuplicate=update (job $UPDATE_JOB)"
printf '   %-24s: %s s   (no target)\n' "upload -> completed" "$(awk -v ms="$UPDATE_MS" 'BEGIN { printf "%.2f", ms / 1000 }')"
printf '   %-24s: %s, updated %s, imported %s\n' "result" "$UPDATE_STATUS" "$UPDATE_UPDATED" "$UPDATE_IMPORTED"
printf '   %-24s: %s MiB\n' "server peak RSS (VmHWM)" "$HWM_UPDATE"
printf '%-27s: %s MiB after start-up and registration\n' "server peak RSS at start" "$HWM_START"
printf '%-27s: %s (DB_MAX_CONNECTIONS=%s, %s cores shared by server, curl and PostgreSQL)\n' \
    "server" "$(basename "$BIN") serve" "$DB_MAX_CONNECTIONS" "$(nproc)"
printf '%-27s: %s\n' "load average (1/5/15 min)" "$(cut -d' ' -f1-3 /proc/loadavg)"
if ((SERVER_PROBLEMS > 0)); then
    printf '%-27s: %s ERROR/WARN lines, by message:\n' "server log" "$SERVER_PROBLEMS"
    strip_ansi <"$SERVER_LOG" | grep -E '\b(ERROR|WARN)\b' | sed -E 's/^[0-9T:.Z-]+ +//' |
        sort | uniq -c | sort -rn | head -n 8 | cut -c1-300 || true
else
    printf '%-27s: no ERROR/WARN lines\n' "server log"
fi
echo "================================================================================"
