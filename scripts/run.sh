#!/usr/bin/env bash
# `make run`: PostgreSQL and Redis up, the binary built, roles, database, migrations and the demo
# salons in place, then the server (with the worker inside) on BIND_ADDR, in the foreground.
#
#   PROFILE=release (default) or dev — dev reuses the build `make test` made: it builds every
#   target as the suite does, because a plain `cargo build` resolves dependency features without
#   the dev-dependencies and would compile much of the tree again.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

# A setting: the environment wins over .env, as in the server (dotenvy never overrides).
setting() {
  local name=$1 default=${2-}
  if [ -n "${!name+set}" ]; then
    printf '%s' "${!name}"
  elif [ -f .env ] && grep -qE "^$name=" .env; then
    grep -E "^$name=" .env | tail -n 1 | cut -d= -f2-
  else
    printf '%s' "$default"
  fi
}

profile=${PROFILE:-release}
case $profile in
  release) bin=${CARGO_TARGET_DIR:-target}/release/adelante; build_flags=(--release) ;;
  dev) bin=${CARGO_TARGET_DIR:-target}/debug/adelante; build_flags=(--all-targets) ;;
  *) echo "PROFILE must be release or dev" >&2; exit 2 ;;
esac

redis_url=$(setting REDIS_URL)
if [ -n "$redis_url" ]; then
  scripts/services.sh up
else
  say "REDIS_URL is empty: one node with in-process stand-ins for Redis"
  scripts/services.sh up --no-redis
fi

if [ ! -x "$bin" ]; then
  say "compiling adelante ($profile); the first build takes 12-15 minutes on two cores, later ones a few"
fi
cargo build --locked "${build_flags[@]}"

"$bin" bootstrap
"$bin" migrate
logins=$("$bin" seed tenants)

bind=$(setting BIND_ADDR 0.0.0.0:8000)
port=${bind##*:}
base_domain=$(setting BASE_DOMAIN adelante.localhost)
smtp=$(setting SMTP_URL)
outbox=$(setting MAIL_OUTBOX_DIR var/outbox)

"$bin" serve &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' INT TERM
trap 'kill -TERM $server 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { wait $server; exit $?; }
  sleep 0.5
done

echo
echo "Adelante is up."
echo "  API      http://localhost:$port/api/v1"
echo "  Docs     http://localhost:$port/docs   (OpenAPI: http://localhost:$port/openapi.json)"
echo "  Health   http://localhost:$port/health  http://localhost:$port/ready"
echo "  Salons   (each at its own subdomain; *.localhost resolves to this machine in browsers)"
for file in tenants/*.toml; do
  slug=$(grep -E '^slug *=' "$file" | head -n 1 | sed -E 's/^slug *= *"([^"]*)".*/\1/')
  echo "           http://$slug.$base_domain:$port   ($file)"
done
echo "  Logins"
printf '%s\n' "$logins" | sed 's/^/           /'
echo "           (the demo passwords are in tenants/*.toml)"
if [ -n "$smtp" ]; then
  echo "  E-mails  sent through SMTP_URL"
else
  echo "  E-mails  written to $outbox/*.eml (set SMTP_URL to send them)"
fi
echo "  Stop     Ctrl-C"
echo

wait $server
