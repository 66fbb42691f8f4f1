#!/usr/bin/env bash
# The `fuzz` phase of .ci/run: scripts/fuzz.sh (schemathesis, every check, against the test build's
# /openapi.json, signed in as a demo salon's administrator) on a fresh machine.
#
# fuzz.sh installs schemathesis into its own virtual environment; Debian's python3 creates one
# only with the python3-venv package (`ensurepip`), installed here when missing (apt-get, as root
# or with passwordless sudo). The server is the test build of the `build` phase; the budget is
# FUZZ_SECONDS (180 by default, two passes). Exits non-zero on any server error, any answer the
# document does not describe, or any error of the fuzzer itself.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

command -v python3 >/dev/null || { echo "the fuzz phase needs python3" >&2; exit 1; }
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  if [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
    say "installing python3-venv with apt-get"
    as_root apt-get update -qq >/dev/null &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null ||
      { echo "cannot install python3-venv: run 'apt-get install python3-venv' as root" >&2; exit 1; }
  else
    echo "python3 cannot create a virtual environment (no ensurepip): install its venv module" >&2
    exit 1
  fi
fi

bin=${CARGO_TARGET_DIR:-target}/debug/adelante
if [ -x "$bin" ]; then
  exec scripts/fuzz.sh "$bin"
fi
exec scripts/fuzz.sh
