#!/usr/bin/env bash
# Calendar figures on this machine: the day view, the free-slot search and booking contention.
#
# Drops and recreates its own database (adelante_bench_calendar), starts the release server
# against it, registers two salons through the API and seeds them with SQL as superuser
# postgres (which bypasses row-level security, so every insert names its salon_id):
#
#   salon A "day view"   30 active staff, 300 appointments on one day (10 per member,
#                        08:00-18:00 in 60-minute visits)
#   salon B "free slots" 1 service (60 min), 20 staff performing it, each working Mon-Sun
#                        09:00-13:00 and 14:00-18:00, and 2,000 appointments over the next 30
#                        days among them (non-overlapping, inside working hours)
#
# Then it measures and prints (figures, with the targets beside them; no pass/fail):
#   1. GET /api/v1/appointments?dateFrom=D&dateTo=D of salon A with wrk (req/s, p99), and
#      `pgbench -S` TPS against a scratch database (adelante_pgbench), and their ratio; then
#      the same with `Accept-Encoding: gzip`, as browsers ask;
#   2. GET /api/v1/appointments/availability?serviceId=S&dateFrom=<tomorrow>&dateTo=<+29> of
#      salon B with wrk -t1 -c1 (p50, p99), and the server's own figure from GET /metrics;
#   3. 50 concurrent POST /api/v1/appointments for one member of salon B at the same date and
#      time: wall time, how many 201 and 409, and the rows the database holds for that slot.
# The server, wrk, pgbench and PostgreSQL share the same cores, so the figures are relative.
#
# Needs: PostgreSQL at 127.0.0.1:5432 with trust auth (superuser postgres), Redis at
# 127.0.0.1:6379, pgbench, curl, python3; installs wrk with apt-get when missing. Builds the
# release binary (cargo build --release) when it is missing or older than src/, migrations/
# or policies/ (only for the default BIN).
#
# Environment overrides:
#   BIN                 server binary (default: target/release/adelante, relative to the repo root)
#   PORT                port the server listens on, 127.0.0.1 only (default: 18090; when the
#                       default is taken, the next free port is used)
#   CONNECTIONS         wrk connections and pgbench clients of the day-view run (default: 32)
#   DURATION            seconds of the day-view and pgbench runs (default: 15)
#   SLOTS_DURATION      seconds of the free-slot run (default: 10)
#   CONTENDERS          concurrent POSTs of the contention run (default: 50)
#   DB_MAX_CONNECTIONS  server database pool size (default: 20)
#   SKIP_BUILD          1: never build, use BIN as it is
#
# Usage: scripts/bench-calendar.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)

DEFAULT_BIN=target/release/adelante
BIN=${BIN:-$DEFAULT_BIN}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
SLOTS_DURATION=${SLOTS_DURATION:-10}
CONTENDERS=${CONTENDERS:-50}
DB_MAX_CONNECTIONS=${DB_MAX_CONNECTIONS:-20}
SKIP_BUILD=${SKIP_BUILD:-0}
PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
BENCH_DB=adelante_bench_calendar
PGBENCH_DB=adelante_pgbench
PGBENCH_SCALE=10
PGBENCH=${PGBENCH:-/usr/bin/pgbench}
HELPER=$REPO_ROOT/scripts/bench_calendar.py
PASSWORD=bench-calendar-password
EMAIL_A=dayview@bench.example.com
EMAIL_B=slots@bench.example.com
# Targets printed beside the figures.
TARGET_RATIO=0.5
TARGET_DAY_P99_MS=20
TARGET_SLOTS_P50_MS=5

die() {
    echo "bench-calendar: error: $*" >&2
    exit 1
}
step() { echo "==> $*"; }

# --- Prerequisites ------------------------------------------------------------------------
for v in CONNECTIONS DURATION SLOTS_DURATION CONTENDERS DB_MAX_CONNECTIONS; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || die "$v must be a positive integer, not '${!v}'"
done
((CONTENDERS >= 2)) || die "CONTENDERS must be at least 2"

for tool in curl python3 psql pg_isready redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
[[ -x $PGBENCH ]] || die "pgbench not found at $PGBENCH"
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
    PORT=18090
    while ! port_free "$PORT"; do
        PORT=$((PORT + 1))
        ((PORT < 18190)) || die "no free port in 18090-18189; set PORT"
    done
fi
BASE=http://127.0.0.1:$PORT

# --- Server -------------------------------------------------------------------------------
WORK_DIR=$(mktemp -d -t adelante-bench-calendar.XXXXXX)
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
# Keys of this run apart from those of a development server sharing the Redis.
export REDIS_PREFIX=adelante_bench_calendar:
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

# --- Helpers ------------------------------------------------------------------------------
json_field() { # json_field FIELD < body
    python3 -c 'import json, sys
try:
    v = json.load(sys.stdin).get(sys.argv[1])
except Exception:
    v = None
print(v if isinstance(v, str) else "")' "$1"
}
kv() { # kv KEY < file of KEY=value lines
    awk -F= -v k="$1" '$1 == k { sub(/^[^=]*=/, ""); print; found = 1; exit } END { if (!found) print "" }'
}
sql() { "${PSQL[@]}" -d "$BENCH_DB" "$@"; }
log_mark() { wc -l <"$SERVER_LOG"; }
# problems_between FROM TO: ERROR/WARN lines of the server log between two marks
problems_between() {
    if (($2 <= $1)); then
        echo 0
        return
    fi
    sed -n "$(($1 + 1)),$2p" "$SERVER_LOG" | strip_ansi | grep -cE '\b(ERROR|WARN)\b' || true
}

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
    json_field access_token <"$WORK_DIR/auth.json"
}

# --- Salons and data ----------------------------------------------------------------------
step "registering salon A (day view, $EMAIL_A) and salon B (free slots, $EMAIL_B)"
TOKEN_A=$(register "$EMAIL_A" "Day" "Bench Day View")
TOKEN_B=$(register "$EMAIL_B" "Slots" "Bench Free Slots")
[[ -n $TOKEN_A && -n $TOKEN_B ]] || die "no access_token in a register answer"
SALON_A=$(sql -c "select salon_id from users where email = '$EMAIL_A'")
SALON_B=$(sql -c "select salon_id from users where email = '$EMAIL_B'")
[[ $SALON_A =~ ^[0-9]+$ && $SALON_B =~ ^[0-9]+$ ]] || die "could not find the salons of $EMAIL_A and $EMAIL_B"

# Dates in the salons' zone (both use the default, Europe/Kyiv).
TZ_A=$(sql -c "select timezone from salons where id = $SALON_A")
TZ_B=$(sql -c "select timezone from salons where id = $SALON_B")
TOMORROW=$(sql -c "select ((now() at time zone '$TZ_B')::date + 1)::text")
LAST_DAY=$(sql -c "select ('$TOMORROW'::date + 29)::text")
DAY_VIEW_DATE=$(sql -c "select ((now() at time zone '$TZ_A')::date + 1)::text")
# Member 0 of salon B is busy at 09:00, 11:00, 14:00 and 16:00 on seeded days: 10:00 is free.
CONTEND_DATE=$(sql -c "select ('$TOMORROW'::date + 1)::text")

step "seeding salon A ($SALON_A): 30 staff, 300 appointments on $DAY_VIEW_DATE"
sql >/dev/null <<SQL
begin;
insert into staff (salon_id, first_name, last_name, position, is_active)
select $SALON_A, 'Master', 'A' || g, 'master', true from generate_series(1, 30) g;
insert into services (salon_id, name, duration_minutes, price_minor)
values ($SALON_A, 'Bench haircut', 60, 50000);
-- 10 visits per member: 08:00, 09:00, ..., 17:00, 60 minutes each.
insert into appointments (salon_id, client_name, client_phone, staff_id, service_id, service_name,
                          date, start_time, end_time, starts_at, ends_at, status, price_minor)
select $SALON_A, 'Client ' || s.idx || '-' || h, '+38050' || lpad((s.idx * 100 + h)::text, 7, '0'),
       s.id, v.id, v.name, d, t, t + interval '60 minutes',
       (d + t) at time zone '$TZ_A', (d + t + interval '60 minutes') at time zone '$TZ_A',
       'scheduled', 50000
from (select id, row_number() over (order by id) as idx from staff where salon_id = $SALON_A) s
cross join generate_series(8, 17) h
cross join (select id, name from services where salon_id = $SALON_A) v
cross join lateral (select '$DAY_VIEW_DATE'::date as d, time '00:00' + make_interval(hours => h) as t) x;
commit;
SQL

step "seeding salon B ($SALON_B): 1 service, 20 staff with schedules, 2000 appointments $TOMORROW..$LAST_DAY"
sql >/dev/null <<SQL
begin;
insert into services (salon_id, name, duration_minutes, price_minor)
values ($SALON_B, 'Bench colouring', 60, 80000);
insert into staff (salon_id, first_name, last_name, position, is_active)
select $SALON_B, 'Master', 'B' || g, 'master', true from generate_series(1, 20) g;
insert into staff_services (salon_id, staff_id, service_id)
select $SALON_B, s.id, v.id from staff s cross join services v
where s.salon_id = $SALON_B and v.salon_id = $SALON_B;
-- Mon..Sun (ISO 1..7), 09:00-13:00 and 14:00-18:00 (a 13:00-14:00 break).
insert into staff_schedule (salon_id, staff_id, weekday, starts, ends)
select $SALON_B, s.id, w, i.starts, i.ends
from staff s
cross join generate_series(1, 7) w
cross join (values (time '09:00', time '13:00'), (time '14:00', time '18:00')) i (starts, ends)
where s.salon_id = $SALON_B;
-- 100 visits per member (20 x 100 = 2000): visit k on day k % 30 at slot k / 30 of
-- 09:00, 11:00, 14:00, 16:00, shifted by 0/15/30/45 minutes by member, so never overlapping
-- and always inside working hours.
insert into appointments (salon_id, client_name, staff_id, service_id, service_name,
                          date, start_time, end_time, starts_at, ends_at, status, price_minor)
select $SALON_B, 'Client ' || g, s.id, v.id, v.name, d, t, t + interval '60 minutes',
       (d + t) at time zone '$TZ_B', (d + t + interval '60 minutes') at time zone '$TZ_B',
       'scheduled', 80000
from generate_series(0, 1999) g
join (select id, row_number() over (order by id) - 1 as idx from staff where salon_id = $SALON_B) s
  on s.idx = g / 100
cross join (select id, name from services where salon_id = $SALON_B) v
cross join lateral (
    select '$TOMORROW'::date + (g % 100) % 30 as d,
           time '00:00' + make_interval(hours => (array[9, 11, 14, 16])[(g % 100) / 30 + 1],
                                        mins => (s.idx % 4)::int * 15) as t
) x;
commit;
analyze;
SQL

counts=$(sql -F' ' -c "select
    (select count(*) from staff where salon_id = $SALON_A and is_active),
    (select count(*) from appointments where salon_id = $SALON_A and date = '$DAY_VIEW_DATE'),
    (select count(*) from staff where salon_id = $SALON_B and is_active),
    (select count(*) from staff_services where salon_id = $SALON_B),
    (select count(*) from staff_schedule where salon_id = $SALON_B),
    (select count(*) from appointments where salon_id = $SALON_B)")
read -r N_STAFF_A N_APPT_A N_STAFF_B N_PERFORM_B N_SCHED_B N_APPT_B <<<"$counts"
echo "    salon A: $N_STAFF_A staff, $N_APPT_A appointments on $DAY_VIEW_DATE"
echo "    salon B: $N_STAFF_B staff, $N_PERFORM_B staff_services, $N_SCHED_B schedule rows, $N_APPT_B appointments"
[[ $N_APPT_A == 300 && $N_APPT_B == 2000 ]] || die "seeding produced $N_APPT_A and $N_APPT_B appointments, not 300 and 2000"
SERVICE_B=$(sql -c "select id from services where salon_id = $SALON_B")
CONTEND_STAFF=$(sql -c "select id from staff where salon_id = $SALON_B order by id limit 1")

# --- 1. Day view --------------------------------------------------------------------------
MARK_DAY=$(log_mark)
DAY_URL="$BASE/api/v1/appointments?dateFrom=$DAY_VIEW_DATE&dateTo=$DAY_VIEW_DATE"
code=$(curl -s -o "$WORK_DIR/day.json" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $TOKEN_A" "$DAY_URL" || true)
[[ $code == 200 ]] || die "GET $DAY_URL answered $code: $(head -c 500 "$WORK_DIR/day.json" 2>/dev/null)"
python3 "$HELPER" count-list "$WORK_DIR/day.json" >"$WORK_DIR/day.kv"
DAY_COUNT=$(kv COUNT <"$WORK_DIR/day.kv")
DAY_BYTES=$(wc -c <"$WORK_DIR/day.json")
echo "    GET day view -> 200, $DAY_COUNT appointments, $DAY_BYTES bytes"

step "wrk warm-up (3 s)"
wrk -t2 -c"$CONNECTIONS" -d3s -H "Authorization: Bearer $TOKEN_A" "$DAY_URL" >/dev/null

step "wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency $DAY_URL"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN_A" "$DAY_URL" | tee "$WORK_DIR/wrk-day.txt"
python3 "$HELPER" wrk "$WORK_DIR/wrk-day.txt" >"$WORK_DIR/wrk-day.kv" || die "could not parse wrk's output"
DAY_RPS=$(kv RPS <"$WORK_DIR/wrk-day.kv")
DAY_P50=$(kv P50_MS <"$WORK_DIR/wrk-day.kv")
DAY_P99=$(kv P99_MS <"$WORK_DIR/wrk-day.kv")
DAY_NON2XX=$(kv NON2XX <"$WORK_DIR/wrk-day.kv")
DAY_SOCKET=$(kv SOCKET_ERRORS <"$WORK_DIR/wrk-day.kv")

# The same with Accept-Encoding: gzip, as every browser asks (an extra figure, no target).
step "wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency -H 'Accept-Encoding: gzip' $DAY_URL"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN_A" -H "Accept-Encoding: gzip" "$DAY_URL" |
    tee "$WORK_DIR/wrk-day-gzip.txt"
python3 "$HELPER" wrk "$WORK_DIR/wrk-day-gzip.txt" >"$WORK_DIR/wrk-day-gzip.kv" || die "could not parse wrk's output"
GZIP_RPS=$(kv RPS <"$WORK_DIR/wrk-day-gzip.kv")
GZIP_P50=$(kv P50_MS <"$WORK_DIR/wrk-day-gzip.kv")
GZIP_P99=$(kv P99_MS <"$WORK_DIR/wrk-day-gzip.kv")
GZIP_BYTES=$(curl -s -o /dev/null -w '%{size_download}' --max-time 10 -H "Authorization: Bearer $TOKEN_A" -H "Accept-Encoding: gzip" "$DAY_URL" || true)

# --- 2. Free-slot search ------------------------------------------------------------------
MARK_SLOTS=$(log_mark)
SLOTS_PATH="/api/v1/appointments/availability"
SLOTS_URL="$BASE$SLOTS_PATH?serviceId=$SERVICE_B&dateFrom=$TOMORROW&dateTo=$LAST_DAY"
code=$(curl -s -o "$WORK_DIR/slots.json" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $TOKEN_B" "$SLOTS_URL" || true)
[[ $code == 200 ]] || die "GET $SLOTS_URL answered $code: $(head -c 500 "$WORK_DIR/slots.json" 2>/dev/null)"
python3 "$HELPER" count-slots "$WORK_DIR/slots.json" >"$WORK_DIR/slots.kv"
SLOTS_FOUND=$(kv SLOTS <"$WORK_DIR/slots.kv")
SLOTS_STAFF=$(kv STAFF <"$WORK_DIR/slots.kv")
SLOTS_STAFF_WITH=$(kv STAFF_WITH_SLOTS <"$WORK_DIR/slots.kv")
SLOTS_DAYS=$(kv DAYS <"$WORK_DIR/slots.kv")
SLOTS_BYTES=$(wc -c <"$WORK_DIR/slots.json")
echo "    GET availability -> 200, $SLOTS_FOUND slots for $SLOTS_STAFF staff ($SLOTS_STAFF_WITH with slots) on $SLOTS_DAYS days, $SLOTS_BYTES bytes"
((SLOTS_FOUND > 0)) || echo "warning: the availability answer holds no slots: $(head -c 300 "$WORK_DIR/slots.json")" >&2

step "wrk warm-up (2 s)"
wrk -t1 -c1 -d2s -H "Authorization: Bearer $TOKEN_B" "$SLOTS_URL" >/dev/null

step "wrk -t1 -c1 -d${SLOTS_DURATION}s --latency $SLOTS_URL"
wrk -t1 -c1 -d"${SLOTS_DURATION}s" --latency -H "Authorization: Bearer $TOKEN_B" "$SLOTS_URL" | tee "$WORK_DIR/wrk-slots.txt"
python3 "$HELPER" wrk "$WORK_DIR/wrk-slots.txt" >"$WORK_DIR/wrk-slots.kv" || die "could not parse wrk's output"
SLOTS_RPS=$(kv RPS <"$WORK_DIR/wrk-slots.kv")
SLOTS_P50=$(kv P50_MS <"$WORK_DIR/wrk-slots.kv")
SLOTS_P99=$(kv P99_MS <"$WORK_DIR/wrk-slots.kv")
SLOTS_NON2XX=$(kv NON2XX <"$WORK_DIR/wrk-slots.kv")

step "server-side figure: GET /metrics, route=\"$SLOTS_PATH\""
code=$(curl -s -o "$WORK_DIR/metrics.txt" -w '%{http_code}' --max-time 10 "$BASE/metrics" || true)
if [[ $code == 200 ]]; then
    python3 "$HELPER" metrics "$WORK_DIR/metrics.txt" "$SLOTS_PATH" >"$WORK_DIR/metrics.kv"
else
    echo "warning: GET /metrics answered $code" >&2
    echo "METRIC_KIND=unavailable" >"$WORK_DIR/metrics.kv"
fi
METRIC_KIND=$(kv METRIC_KIND <"$WORK_DIR/metrics.kv")
METRIC_P50=$(kv METRIC_P50_MS <"$WORK_DIR/metrics.kv")
METRIC_P99=$(kv METRIC_P99_MS <"$WORK_DIR/metrics.kv")
METRIC_MEAN=$(kv METRIC_MEAN_MS <"$WORK_DIR/metrics.kv")
METRIC_COUNT=$(kv METRIC_COUNT <"$WORK_DIR/metrics.kv")
METRIC_STATUS=$(kv METRIC_STATUS <"$WORK_DIR/metrics.kv")

# --- 3. Contention ------------------------------------------------------------------------
MARK_CONTEND=$(log_mark)
busy_before=$(sql -c "select count(*) from appointments
    where salon_id = $SALON_B and staff_id = $CONTEND_STAFF and deleted_at is null and status <> 'cancelled'
      and tstzrange(starts_at, ends_at, '[)')
          && tstzrange(('$CONTEND_DATE'::date + time '10:00') at time zone '$TZ_B',
                       ('$CONTEND_DATE'::date + time '11:00') at time zone '$TZ_B', '[)')")
[[ $busy_before == 0 ]] || die "member $CONTEND_STAFF is not free on $CONTEND_DATE 10:00-11:00 ($busy_before appointments in the way)"
step "$CONTENDERS concurrent POST /api/v1/appointments: member $CONTEND_STAFF, $CONTEND_DATE 10:00-11:00"
CONTEND_BODY=$(python3 -c 'import json, sys
print(json.dumps({"clientName": "Bench", "clientPhone": "", "service": "", "date": sys.argv[1],
                  "startTime": "10:00", "endTime": "11:00", "status": "scheduled", "type": "standard",
                  "notes": "", "price": 0, "staffId": int(sys.argv[2])}))' "$CONTEND_DATE" "$CONTEND_STAFF")
python3 "$HELPER" contend "$BASE/api/v1/appointments" "$TOKEN_B" "$CONTENDERS" "$CONTEND_BODY" >"$WORK_DIR/contend.kv"
CONTEND_WALL=$(kv WALL_MS <"$WORK_DIR/contend.kv")
CONTEND_201=$(kv N201 <"$WORK_DIR/contend.kv")
CONTEND_409=$(kv N409 <"$WORK_DIR/contend.kv")
CONTEND_OTHER=$(kv NOTHER <"$WORK_DIR/contend.kv")
CONTEND_CODES=$(kv CODES <"$WORK_DIR/contend.kv")
CONTEND_MEDIAN=$(kv LAT_MEDIAN_MS <"$WORK_DIR/contend.kv")
CONTEND_MAX=$(kv LAT_MAX_MS <"$WORK_DIR/contend.kv")
CONTEND_ROWS=$(sql -c "select count(*) from appointments
    where salon_id = $SALON_B and staff_id = $CONTEND_STAFF and date = '$CONTEND_DATE'
      and start_time = '10:00' and deleted_at is null and status <> 'cancelled'")
CONTEND_CLIENTS=$(sql -c "select count(*) from clients where salon_id = $SALON_B")
echo "    answers $CONTEND_CODES in $CONTEND_WALL ms; rows in the database for that slot: $CONTEND_ROWS"

# A final check that the server still answers after the load.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $TOKEN_A" "$DAY_URL" || true)
[[ $code == 200 ]] || echo "warning: the day view answered $code after the runs" >&2

MARK_END=$(log_mark)

# Stop the server before pgbench so it does not take CPU from it.
stop_server

# --- pgbench ------------------------------------------------------------------------------
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
RATIO=$(awk -v a="$DAY_RPS" -v b="$PGB_TPS" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }')
SERVER_PROBLEMS=$(strip_ansi <"$SERVER_LOG" | grep -cE '\b(ERROR|WARN)\b' || true)
case $METRIC_KIND in
summary) METRIC_NOTE="summary quantiles of the exporter" ;;
histogram) METRIC_NOTE="approximated from histogram buckets" ;;
*) METRIC_NOTE="no series for the route in /metrics" ;;
esac

echo
echo "================================ calendar bench ================================"
echo "1. day view: GET /api/v1/appointments?dateFrom=$DAY_VIEW_DATE&dateTo=$DAY_VIEW_DATE"
printf '   %-24s: %s staff, %s appointments in the answer (%s bytes)\n' "salon A" "$N_STAFF_A" "$DAY_COUNT" "$DAY_BYTES"
printf '   %-24s: %s req/s   p50 %s ms   p99 %s ms   (target p99 <= %s ms)\n' \
    "wrk -t2 -c$CONNECTIONS -d${DURATION}s" "$DAY_RPS" "$DAY_P50" "$DAY_P99" "$TARGET_DAY_P99_MS"
printf '   %-24s: %s tps\n' "pgbench -S -c$CONNECTIONS -T$DURATION" "$PGB_TPS"
printf '   %-24s: %s   (target >= %s)\n' "ratio day view / pgbench" "$RATIO" "$TARGET_RATIO"
printf '   %-24s: %s req/s   p50 %s ms   p99 %s ms   (%s bytes on the wire)\n' \
    "same, Accept-Encoding gzip" "$GZIP_RPS" "$GZIP_P50" "$GZIP_P99" "$GZIP_BYTES"
[[ $DAY_NON2XX == 0 ]] || printf '   %-24s: %s\n' "non-2xx answers (wrk)" "$DAY_NON2XX"
[[ $DAY_SOCKET == none ]] || printf '   %-24s: %s\n' "socket errors (wrk)" "$DAY_SOCKET"
echo "2. free slots: GET /api/v1/appointments/availability?serviceId=$SERVICE_B&dateFrom=$TOMORROW&dateTo=$LAST_DAY"
printf '   %-24s: %s staff performing the service, %s appointments, %s schedule rows\n' \
    "salon B" "$N_PERFORM_B" "$N_APPT_B" "$N_SCHED_B"
printf '   %-24s: %s slots in total (%s staff, %s of them with slots, %s days; %s bytes)\n' \
    "curl check" "$SLOTS_FOUND" "$SLOTS_STAFF" "$SLOTS_STAFF_WITH" "$SLOTS_DAYS" "$SLOTS_BYTES"
printf '   %-24s: p50 %s ms   p99 %s ms   %s req/s   (target p50 <= %s ms)\n' \
    "wrk -t1 -c1 -d${SLOTS_DURATION}s" "$SLOTS_P50" "$SLOTS_P99" "$SLOTS_RPS" "$TARGET_SLOTS_P50_MS"
[[ $SLOTS_NON2XX == 0 ]] || printf '   %-24s: %s\n' "non-2xx answers (wrk)" "$SLOTS_NON2XX"
if [[ -n $METRIC_P50 ]]; then
    printf '   %-24s: p50 %s ms   p99 %s ms   mean %s ms   (%s requests, status %s; %s)\n' \
        "server /metrics" "$METRIC_P50" "${METRIC_P99:-n/a}" "${METRIC_MEAN:-n/a}" "${METRIC_COUNT:-?}" \
        "${METRIC_STATUS:-?}" "$METRIC_NOTE"
else
    printf '   %-24s: %s\n' "server /metrics" "$METRIC_NOTE"
fi
echo "3. contention: $CONTENDERS concurrent POST /api/v1/appointments, member $CONTEND_STAFF, $CONTEND_DATE 10:00-11:00"
printf '   %-24s: %s ms for all %s   (per request: median %s ms, max %s ms)\n' \
    "wall time" "$CONTEND_WALL" "$CONTENDERS" "$CONTEND_MEDIAN" "$CONTEND_MAX"
printf '   %-24s: %s x 201, %s x 409, %s other   (expected 1 and %s)   [%s]\n' \
    "answers" "$CONTEND_201" "$CONTEND_409" "$CONTEND_OTHER" "$((CONTENDERS - 1))" "$CONTEND_CODES"
printf '   %-24s: %s   (expected 1)\n' "rows for that slot (SQL)" "$CONTEND_ROWS"
printf '   %-24s: %s in salon B (only the winner'"'"'s should remain)\n' "clients" "$CONTEND_CLIENTS"
if [[ $CONTEND_201 != 1 || $CONTEND_409 != $((CONTENDERS - 1)) || $CONTEND_ROWS != 1 ]]; then
    echo "   NOTE: the contention run did not end with exactly one booking and $((CONTENDERS - 1)) refusals"
fi
printf '%-27s: %s (DB_MAX_CONNECTIONS=%s, %s cores shared by server, wrk, pgbench and PostgreSQL)\n' \
    "server" "$(basename "$BIN") serve --no-worker" "$DB_MAX_CONNECTIONS" "$(nproc)"
printf '%-27s: %s\n' "load average (1/5/15 min)" "$(cut -d' ' -f1-3 /proc/loadavg)"
if ((SERVER_PROBLEMS > 0)); then
    printf '%-27s: %s ERROR/WARN lines during the run (start-up and seeding %s, day view %s, free slots %s, contention %s, shutdown %s), by message:\n' \
        "server log" "$SERVER_PROBLEMS" "$(problems_between 0 "$MARK_DAY")" "$(problems_between "$MARK_DAY" "$MARK_SLOTS")" \
        "$(problems_between "$MARK_SLOTS" "$MARK_CONTEND")" "$(problems_between "$MARK_CONTEND" "$MARK_END")" \
        "$(problems_between "$MARK_END" 1000000000)"
    # Drop the timestamp so equal messages group together.
    strip_ansi <"$SERVER_LOG" | grep -E '\b(ERROR|WARN)\b' | sed -E 's/^[0-9T:.Z-]+ +//' |
        sort | uniq -c | sort -rn | head -n 8 | cut -c1-300
else
    printf '%-27s: no ERROR/WARN lines\n' "server log"
fi
echo "================================================================================"
