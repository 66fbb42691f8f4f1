# Two commands matter: `make run` (set up and serve on :8000) and `make test` (the whole suite).
SHELL := /bin/bash
CARGO ?= cargo
BIN := target/release/adelante

.PHONY: run test build env services openapi load-baseline

## Set up everything on a fresh machine and serve on :8000 with the worker embedded.
run: env build
	$(BIN) bootstrap
	$(BIN) migrate
	$(BIN) seed tenants
	$(BIN) serve

## The whole suite: unit tests and black-box tests against real PostgreSQL and Redis.
test:
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --all-targets --no-fail-fast; \
	else \
		$(CARGO) test --workspace --all-targets --no-fail-fast; \
	fi

build:
	$(CARGO) build --release --locked

## Writes .env from .env.example with a fresh JWT secret, once.
env:
	@if [ ! -f .env ]; then \
		secret=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
		sed "s/^JWT_SECRET=.*/JWT_SECRET=$$secret/" .env.example > .env; \
		echo "wrote .env (edit it to change settings)"; \
	fi

openapi: build
	$(BIN) openapi > openapi.json

## Requests/s and p99 of GET /api/v1/auth/me next to pgbench -S (see scripts/load-baseline.sh).
load-baseline: build
	scripts/load-baseline.sh
