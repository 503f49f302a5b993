# shopsync: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install chromium services migrate schema demo up bench test test-fast lint format api worker scheduler simulator clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) chromium

# The browser tests' chromium, from the system's packages (a no-op when present).
chromium:
	@scripts/ensure-chromium.sh

services:
	@scripts/ensure-services.sh

migrate: install services
	$(BIN)/shopsync migrate

# Rewrite schema/schema.sql from the migrations (a scratch database, pg_dump, normalized).
SCHEMA_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
schema: install services
	$(BIN)/python -m schema.dump --admin-url '$(SCHEMA_ADMIN_URL)'

demo: install services migrate
	$(BIN)/shopsync demo

# The whole stack in the foreground without Docker (api, worker, scheduler; UP_ARGS e.g.
# --simulator --workers 2); Ctrl-C stops every process.
UP_ARGS ?=
up: install services
	$(BIN)/shopsync up $(UP_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The whole suite, slow end-to-end and fault tests included, then the static checks.
# Three pytest workers on a 2-core machine: most tests wait on Postgres, brokers or child
# processes, so the suite takes about half the time it takes in one process.
PYTEST_WORKERS ?= 3
test: install services
	$(BIN)/pytest -n $(PYTEST_WORKERS)
	$(MAKE) --no-print-directory lint

# Everything but the tests marked slow: the inner loop while developing.
test-fast: install services
	$(BIN)/pytest -m "not slow"

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

api: install services migrate
	$(BIN)/shopsync api

worker: install services migrate
	$(BIN)/shopsync worker

scheduler: install services migrate
	$(BIN)/shopsync scheduler

simulator: install
	$(BIN)/shopsync simulator

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

# Throughput and memory against the raw-COPY ceiling, a small UPDATE in a big table, 1 vs 5
# operations, many shops at once (the real stack, a scratch database shopsync_bench): prints a
# table, writes artifacts/bench.json. BENCH_SCALE=0.1 scales every size down; BENCH_ONLY and
# BENCH_SKIP pick sections (README, "Benchmarks"). Not part of `make test`.
bench: install services
	$(BIN)/python -m bench
