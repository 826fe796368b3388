# Two commands: `make run` (set up and start Merdeka on SQLite) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: run setup test lint format test-sqlite test-postgres test-e2e messages bench bench-tools bench-storefront clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Merdeka needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(BIN)/.test-installed: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

setup: $(BIN)/.installed
	$(BIN)/merdeka setup

run: setup
	$(BIN)/merdeka run

lint: $(BIN)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: $(BIN)/.test-installed
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e" -q

test-e2e: $(BIN)/.test-installed
	$(BIN)/pytest -m e2e -q

test-postgres: $(BIN)/.test-installed
	@url="$$($(BIN)/python scripts/postgres_test_url.py)" || exit 1; \
	if [ -n "$$url" ]; then \
		echo "== PostgreSQL half: $$url"; \
		MERDEKA_TEST_DATABASE_URL="$$url" $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e" -q || exit 1; \
		echo "== PostgreSQL half passed"; \
	fi

test: lint test-sqlite test-e2e test-postgres

messages: $(BIN)/.test-installed
	cd merdeka && ../$(BIN)/merdeka makemessages -l id --no-obsolete --ignore 'static/*' --ignore '*/tests/*' --ignore 'e2e/*'
	cd merdeka && ../$(BIN)/merdeka compilemessages

$(BIN)/.bench-installed: $(BIN)/.test-installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@

# wrk is the storefront bench's load generator (a C client that costs the two cores
# little); benches only, never the test path. Without it the bench uses Python threads.
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && apt-get install -y -qq wrk; \
		else \
			echo "wrk is missing: sudo apt-get install wrk (the storefront bench falls back to Python threads)"; \
		fi; }

bench-storefront: $(BIN)/.bench-installed bench-tools
	$(BIN)/python bench/bench_storefront.py --seconds 10
	@url="$$($(BIN)/python scripts/postgres_test_url.py)" || exit 1; \
	if [ -n "$$url" ]; then $(BIN)/python bench/bench_storefront.py --seconds 10 --database-url "$$url"; fi

bench: $(BIN)/.bench-installed bench-tools
	$(BIN)/python bench/bench_whatsapp.py
	@mkdir -p var
	$(BIN)/python bench/bench_import.py --json | tee var/bench-import.json
	$(BIN)/python bench/bench_splink.py --merdeka-json var/bench-import.json
	$(MAKE) bench-storefront

clean:
	rm -rf $(VENV) var/test
