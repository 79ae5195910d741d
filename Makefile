# Tỉnh Số — developer commands. `make run` and `make test` work on a fresh machine (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
SIM_DOSSIERS ?= 2000

.PHONY: run test test-sqlite test-postgres bench lint install demo clean

$(BIN)/tinhso: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/tinhso

# The platform with the demo province on SQLite (var/tinhso.sqlite3), at http://127.0.0.1:8000
run: install
	$(BIN)/tinhso migrate --no-input
	$(BIN)/tinhso demo
	$(BIN)/tinhso simulate --dossiers $(SIM_DOSSIERS) --days 60 --seed 1 --if-empty
	$(BIN)/tinhso simulate_feedback --seed 1 --if-empty
	$(BIN)/tinhso documents demo --if-empty
	$(BIN)/tinhso scoreboard refresh
	$(BIN)/tinhso demo --accounts
	$(BIN)/tinhso run $(HOST):$(PORT)

demo: install
	$(BIN)/tinhso migrate --no-input
	$(BIN)/tinhso demo

# Every test, on SQLite and then on a throwaway PostgreSQL cluster (skipped with a message if PostgreSQL is absent).
test: test-sqlite test-postgres

test-sqlite: install
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	@scripts/with-postgres $(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc = 3 ]; then echo "PostgreSQL not installed: PostgreSQL run skipped (CI installs it)."; exit 0; fi; exit $$rc

# Every benchmark, one JSON line each, on a throwaway PostgreSQL with durable commits (on SQLite if PostgreSQL is not
# installed);
# the run is saved to bench/results/ and the "latest run" table of docs/benchmarks.md is regenerated.
BENCH_PIPE := set -o pipefail; bench/run-all | $(BIN)/python bench/report.py --command "make bench"
bench: install
	@TINHSO_PG_DURABLE=1 scripts/with-postgres bash -c '$(BENCH_PIPE)'; rc=$$?; if [ $$rc = 3 ]; then bash -c '$(BENCH_PIPE)'; else exit $$rc; fi

lint: install
	$(BIN)/ruff check src bench scripts
	$(BIN)/tinhso makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var .pytest_cache
