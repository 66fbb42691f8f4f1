# Two commands matter: `make run` (set up and serve on :8000) and `make test` (the whole suite).
SHELL := /bin/bash
CARGO ?= cargo
BIN := target/release/adelante

.PHONY: run test fuzz build env services services-down openapi load-baseline

## Set up everything on a fresh machine and serve on :8000 with the worker embedded:
## PostgreSQL and Redis (started, or installed on Debian/Ubuntu), build, roles, database,
## migrations, demo salons. PROFILE=dev reuses the test build instead of a release build.
run: env
	scripts/run.sh

## The whole suite: unit tests and black-box tests against real PostgreSQL and Redis.
test:
	@scripts/services.sh up --test-tools
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --all-targets --no-fail-fast; \
	else \
		$(CARGO) test --workspace --all-targets --no-fail-fast; \
	fi

## A few minutes of schemathesis against /openapi.json of the test build, signed in as a demo
## salon's administrator: fails on any 5xx or answer the document does not describe.
fuzz:
	@scripts/services.sh up
	scripts/fuzz.sh

## PostgreSQL and Redis on loopback (see scripts/services.sh); services-down stops them.
services:
	scripts/services.sh up
services-down:
	scripts/services.sh down

build:
	$(CARGO) build --release --locked

## Writes .env from .env.example with a fresh JWT secret and secrets key, once.
env:
	@if [ ! -f .env ]; then \
		secret=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
		key=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
		sed -e "s/^JWT_SECRET=.*/JWT_SECRET=$$secret/" -e "s/^SECRETS_KEY=.*/SECRETS_KEY=$$key/" .env.example > .env; \
		echo "wrote .env (edit it to change settings)"; \
	fi

openapi: build
	$(BIN) openapi > openapi.json

## Requests/s and p99 of GET /api/v1/auth/me next to pgbench -S (see scripts/load-baseline.sh).
load-baseline: build
	scripts/load-baseline.sh
