#!/usr/bin/env bash
# The compile-time SQL check: every query macro's data in .sqlx/ must be what a database migrated
# from this tree's migrations/ and policies/ describes. A fresh database is set up with the
# project's own `adelante bootstrap` + `migrate` (the dev build of the `build` phase), then
# `cargo sqlx prepare --check` rebuilds the query data against it and compares. The database is
# dropped afterwards, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=postgres://postgres@127.0.0.1:5432
db=adelante_sqlx_check
bin=${CARGO_TARGET_DIR:-target}/debug/adelante

command -v cargo-sqlx >/dev/null ||
  cargo install sqlx-cli --version 0.9.0 --locked --no-default-features --features postgres,rustls

drop() { PGOPTIONS=--client-min-messages=warning psql "$PG/postgres" -qAt -c "drop database if exists $db with (force)"; }
drop
trap drop EXIT

# bootstrap creates the database (and the roles, when missing); migrate applies migrations/ and
# policies/ as the owner. The JWT secret is only there because every command reads the whole
# configuration; nothing is signed.
DATABASE_URL="postgres://adelante_app@127.0.0.1:5432/$db" \
DATABASE_OWNER_URL="postgres://adelante_owner@127.0.0.1:5432/$db" \
DATABASE_SUPERUSER_URL="$PG/postgres" \
JWT_SECRET=sqlx-check-not-a-secret-0123456789abcdef \
  sh -c "'$bin' bootstrap && '$bin' migrate"

# As the superuser, so that describing a query never depends on the app role's grants.
DATABASE_URL="$PG/$db" cargo sqlx prepare --check -- --all-targets
