#!/usr/bin/env bash
# Fuzzes the API from its own OpenAPI document with schemathesis, every check on, signed in as a
# demo salon's administrator. Fails on any server error (5xx) and on any answer the document
# does not describe (status, content type, headers, body schema), on schema-valid input refused
# and schema-invalid input accepted.
#
#   scripts/fuzz.sh [BINARY]      (or: make fuzz)
#
# BINARY defaults to the test build's target/debug/adelante ($CARGO_TARGET_DIR or target/),
# built first when no BINARY is given (a no-op after `make test`). A throwaway database
# (adelante_fuzz_<pid>) is created with the binary's own `bootstrap` and `migrate`, the demo
# salons of tenants/ are seeded, the server runs on a free loopback port, and both are gone at
# the end. PostgreSQL and Redis must answer on loopback (scripts/services.sh up).
#
# Environment:
#   FUZZ_SECONDS   time budget of the schemathesis run (default 180)
#   FUZZ_SEED      seed, to replay a run (default: random; the run prints the one it used)
#   FUZZ_WORKERS   concurrent schemathesis workers (default 2; 1 on an interpreter with the AST
#                  race described below)
#   FUZZ_PYTHON    interpreter for the virtualenv (default: the first of python3.13, python3.12,
#                  python3 that has the race fixed, else python3)
#   FUZZ_VENV      virtualenv for schemathesis (default: $CARGO_TARGET_DIR or target/, /fuzz-venv)
#   FUZZ_REPORT    folder for the JUnit report and the server's log (default: .../fuzz-report)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

SCHEMATHESIS_VERSION=4.32.5
SALON=kyiv-beauty
target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$root/$target ;; esac
seconds=${FUZZ_SECONDS:-180}
venv=${FUZZ_VENV:-$target/fuzz-venv}
report=${FUZZ_REPORT:-$target/fuzz-report}

# Operations left out, each because it would end the fuzz session itself: the token every other
# request carries. Named by operationId (the handler's name). The password changes stay in: they
# need the current password, and even then keep the session that made them.
excluded=(
  logout       # revokes the session the token belongs to: every later request would be a 401
  update_user  # may deactivate or demote the signed-in administrator (once the run has invited
               # another administrator, the "last administrator" rule no longer stops it)
  update_staff # likewise through the administrator's staff card (`isActive: false`)
  delete_staff # likewise: deleting the administrator's staff card deactivates the account
)

say() { printf '==> %s\n' "$*"; }

if [ $# -gt 0 ]; then
  bin=$1
else
  bin=$target/debug/adelante
  say "building the test build (a no-op when it is up to date)"
  cargo build --locked --all-targets
fi
[ -x "$bin" ] || { echo "no server binary at $bin" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

# Schemathesis workers are threads, and hypothesis parses source with `ast` in each of them.
# CPython before 3.11.8 and 3.12.2 shares the AST constructor's recursion counter between threads
# (python/cpython#106905): two parses at once fail with "SystemError: AST constructor recursion
# depth mismatch", which schemathesis reports as an error of whatever operation it was
# generating for (seen on GET /clients and /clients/export). On such an interpreter one worker.
race_fixed() {
  "$1" -c 'import sys; v = sys.version_info[:3]; sys.exit(0 if v >= (3, 12, 2) or (3, 11, 8) <= v < (3, 12) else 1)' 2>/dev/null
}
python=""
for candidate in ${FUZZ_PYTHON:-} python3.13 python3.12 python3; do
  if race_fixed "$candidate"; then python=$candidate; break; fi
done
if [ -n "$python" ]; then
  workers=${FUZZ_WORKERS:-2}
else
  python=${FUZZ_PYTHON:-python3}
  workers=1
  say "$("$python" --version 2>&1) has the AST race of python/cpython#106905: one worker"
fi
wanted="$("$python" -c 'import sys; print(sys.version)') / schemathesis, version $SCHEMATHESIS_VERSION"
# On a fresh machine the virtualenv is not there yet: its commands are missing (status 127), which
# must read as "not installed", not end the script under `set -e`.
have="$("$venv/bin/python" -c 'import sys; print(sys.version)' 2>/dev/null || true) / $("$venv/bin/schemathesis" --version 2>/dev/null || true)"
if [ "$have" != "$wanted" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv ($("$python" --version 2>&1))"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work=$(mktemp -d -t adelante-fuzz.XXXXXX)
db=adelante_fuzz_$$
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$report"
log=$report/server.log
server=""
telegram=""

cleanup() {
  local status=$?
  [ -n "$telegram" ] && kill "$telegram" 2>/dev/null || true
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  if command -v redis-cli >/dev/null; then
    redis-cli -h 127.0.0.1 --scan --pattern "$REDIS_PREFIX*" 2>/dev/null | xargs -r redis-cli -h 127.0.0.1 del >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every setting the server reads is given here, so a developer's .env changes nothing (the server
# runs in $work, where no .env is found).
export DATABASE_URL=postgres://adelante_app@127.0.0.1:5432/$db
export DATABASE_OWNER_URL=postgres://adelante_owner@127.0.0.1:5432/$db
export DATABASE_SUPERUSER_URL=postgres://postgres@127.0.0.1:5432/postgres
export REDIS_URL=redis://127.0.0.1:6379
export REDIS_PREFIX=adelante-fuzz-$$:
export BIND_ADDR=127.0.0.1:$port
export BASE_DOMAIN=adelante.localhost
export JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ACCESS_TOKEN_EXPIRE_MINUTES=60
export METRICS_BIND_ADDR= METRICS_TOKEN= SMTP_URL=
export MAIL_OUTBOX_DIR=$work/outbox UPLOAD_DIR=$work/uploads PUBLIC_URL=http://127.0.0.1:$port
export LOG_FORMAT=text RUST_LOG=warn,adelante=info
export SECRETS_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# Telegram's Bot API as the fuzzer's made-up bot tokens meet it: every token refused (401), so a
# salon's "connect the bot" answers 422 on `token` and never reaches the real Telegram.
tg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$tg_port" <<'PY' &
import http.server, sys

class Refuse(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Refuse).serve_forever()
PY
telegram=$!
export TELEGRAM_API_URL=http://127.0.0.1:$tg_port

cd "$work"
say "database $db: bootstrap, migrate, demo salons"
"$bin" bootstrap
"$bin" migrate
"$bin" seed "$root/tenants" >/dev/null

say "server on 127.0.0.1:$port (log: $log)"
"$bin" serve >"$log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.5
done

# The salon is chosen by the Host subdomain, as in production; the token is then bound to it.
host=$SALON.$BASE_DOMAIN:$port
spec=$root/tenants/$SALON.toml
email=$(sed -nE 's/^email *= *"([^"]*)".*/\1/p' "$spec" | head -n 1)
password=$(sed -nE 's/^password *= *"([^"]*)".*/\1/p' "$spec" | head -n 1)
token=$(curl -fsS "http://127.0.0.1:$port/api/v1/auth/login" -H "Host: $host" -H 'Content-Type: application/json' \
  -d "{\"email\": \"$email\", \"password\": \"$password\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

exclusions=()
for operation in "${excluded[@]}"; do exclusions+=(--exclude-operation-id "$operation"); done
seed=()
[ -n "${FUZZ_SEED:-}" ] && seed=(--seed "$FUZZ_SEED")

# Two passes share the budget. The first runs every check on input without NUL characters: the
# API refuses NUL in any text with a 422 naming the field (PostgreSQL cannot store it), which the
# document does not repeat on every string, so there a NUL would count as valid input refused.
# The second sends NULs too, with every check but that one.
nul_seconds=$((seconds / 3))
run() {
  "$venv/bin/schemathesis" --config-file "$root/scripts/fuzz.toml" run "http://127.0.0.1:$port/openapi.json" \
    -H "Host: $host" -H "Authorization: Bearer $token" --workers "$workers" "${seed[@]}" "${exclusions[@]}" \
    --report junit --no-color "$@"
}
started=$(date +%s)
status=0
say "schemathesis $SCHEMATHESIS_VERSION as $email at $host, $workers worker(s): every check, no NUL, $((seconds - nul_seconds))s"
run --checks all --generation-allow-x00 false --max-time $((seconds - nul_seconds)) \
  --report-dir "$report/all-checks" || status=$?
say "schemathesis: NUL characters too, every check but positive_data_acceptance, ${nul_seconds}s"
run --checks all --exclude-checks positive_data_acceptance --generation-allow-x00 true --max-time "$nul_seconds" \
  --report-dir "$report/nul" || status=$?
say "fuzz runs took $(($(date +%s) - started))s"

# The causes of 5xx answers (a handler's error, or a panic caught by the server).
if grep -qE 'request failed|panicked' "$log"; then
  echo "server errors logged during the run:" >&2
  grep -E -A3 'request failed|panicked' "$log" | head -n 80 >&2
  [ $status -ne 0 ] || status=1
fi
exit $status
