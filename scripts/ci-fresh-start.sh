#!/usr/bin/env bash
# The fresh-machine check: with PostgreSQL and Redis stopped, `make run` must bring them up, set
# everything up and serve /health. Then the server is stopped and the services are left running
# for the suite. Uses the dev build that `make test` shares (PROFILE=dev), so nothing is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."

port=8000
log=$(mktemp -t adelante-run.XXXXXX)
scripts/services.sh down
if scripts/services.sh status | grep -q answers; then
  echo "the services still answer after 'down'" >&2
  exit 1
fi

PROFILE=dev setsid make run >"$log" 2>&1 &
runner=$!
stop() {
  kill -TERM -- -"$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
}
trap stop EXIT

healthy=false
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
    healthy=true
    break
  fi
  kill -0 "$runner" 2>/dev/null || break
  sleep 0.5
done

# The banner comes right after /health answers.
for _ in $(seq 1 20); do grep -q "Adelante is up" "$log" && break; sleep 0.25; done
if ! $healthy || ! grep -q "Adelante is up" "$log"; then
  echo "make run did not come up from stopped services; its output:" >&2
  cat "$log" >&2
  exit 1
fi
sed -n '/Adelante is up/,$p' "$log"
grep -q "http://kyiv-beauty\." "$log" || { echo "the banner names no demo salon" >&2; exit 1; }
grep -qE "sign in as" "$log" || { echo "the banner names no login" >&2; exit 1; }

stop
trap - EXIT
if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
  echo "the server still answers after it was stopped" >&2
  exit 1
fi
scripts/services.sh up
rm -f "$log"
echo "fresh start: ok"
