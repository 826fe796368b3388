# Two commands: `make run` (set up and start Merdeka on SQLite) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: run setup lock test lint format test-sqlite test-sqlite-all test-postgres test-e2e browser pdf-libs messages bench bench-tools bench-storefront bench-books clean

# The exact versions of requirements.lock, then Merdeka itself without resolving again;
# a change to pyproject.toml or a lock file reinstalls on the next make.
$(BIN)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Merdeka needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

$(BIN)/.test-installed: $(BIN)/.installed requirements-test.lock
	$(BIN)/python -m pip install --quiet -r requirements.lock -r requirements-test.lock
	@touch $@

# Refresh the pins: the newest versions pyproject.toml allows, into .venv, written out
# to the lock files. Then `make test` and commit them (README: Dependencies).
lock: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	$(BIN)/python scripts/lock.py

setup: $(BIN)/.installed pdf-libs
	$(BIN)/merdeka setup

run: setup
	$(BIN)/merdeka run

lint: $(BIN)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: $(BIN)/.test-installed pdf-libs
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e" -q --durations=15

test-e2e: $(BIN)/.test-installed browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m e2e -q --durations=10

# make test's SQLite half: the browser journeys in the same run as the rest, so the two
# workers share them out (one database set-up per worker, no idle tail between the two)
test-sqlite-all: $(BIN)/.test-installed pdf-libs browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q --durations=15

# The browser tests drive Debian's chromium (never `playwright install`). Missing, it is
# installed here: as root directly, otherwise through sudo (which may ask for your
# password); where neither works this says what to run, and `make test` stops.
APT_CHROMIUM := env DEBIAN_FRONTEND=noninteractive apt-get
browser:
	@command -v chromium >/dev/null 2>&1 && exit 0; \
	echo "== installing Debian's chromium for the browser tests"; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "chromium is missing and this is not Debian (no apt-get): install Chromium so that"; \
		echo "the command \`chromium\` starts it, then run make test again."; exit 1; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else \
		echo "chromium is missing. As root, run:"; \
		echo "    apt-get update && apt-get install -y chromium"; \
		echo "then run make test again."; exit 1; \
	fi; \
	if $$sudo $(APT_CHROMIUM) update -qq && $$sudo $(APT_CHROMIUM) install -y -qq chromium >/dev/null \
		&& command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	echo "chromium could not be installed. Run:"; \
	echo "    $${sudo:+sudo }apt-get update && $${sudo:+sudo }apt-get install -y chromium"; \
	echo "then run make test again."; exit 1

# WeasyPrint (the books' PDFs) draws text with Pango, which comes from Debian, not pip.
# When WeasyPrint cannot load it, the libraries are installed here the way chromium is.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
PDF_CHECK ?= $(BIN)/python -c 'import weasyprint'
APT_GET := env DEBIAN_FRONTEND=noninteractive apt-get
pdf-libs: $(BIN)/.installed
	@$(PDF_CHECK) >/dev/null 2>&1 && exit 0; \
	echo "== installing Debian's Pango for the PDF reports"; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "Pango is missing and this is not Debian (no apt-get): install Pango 1.44 or newer"; \
		echo "(WeasyPrint's first steps list the packages), then run make again."; exit 1; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else \
		echo "Pango is missing. As root, run:"; \
		echo "    apt-get update && apt-get install -y $(PDF_PACKAGES)"; \
		echo "then run make again."; exit 1; \
	fi; \
	if $$sudo $(APT_GET) update -qq && $$sudo $(APT_GET) install -y -qq $(PDF_PACKAGES) >/dev/null \
		&& $(PDF_CHECK) >/dev/null 2>&1; then exit 0; fi; \
	echo "Pango could not be installed. Run:"; \
	echo "    $${sudo:+sudo }apt-get update && $${sudo:+sudo }apt-get install -y $(PDF_PACKAGES)"; \
	echo "then run make again."; exit 1

test-postgres: $(BIN)/.test-installed pdf-libs
	@url="$$($(BIN)/python scripts/postgres_test_url.py)" || exit 1; \
	if [ -n "$$url" ]; then \
		echo "== PostgreSQL half: $$url"; \
		MERDEKA_TEST_DATABASE_URL="$$url" $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e" -q --durations=15 || exit 1; \
		echo "== PostgreSQL half passed"; \
	fi

# the system packages first: a password sudo asks for comes now, not after the first half
test: browser pdf-libs lint test-sqlite-all test-postgres

messages: $(BIN)/.test-installed
	cd merdeka && ../$(BIN)/merdeka makemessages -l id --no-obsolete --ignore 'static/*' --ignore '*/tests/*' --ignore 'e2e/*'
	cd merdeka && ../$(BIN)/merdeka compilemessages

$(BIN)/.bench-installed: $(BIN)/.test-installed
	$(BIN)/python -m pip install --quiet -c requirements.lock -c requirements-test.lock -e '.[test,bench]'
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

# the books: the backfill of the 1M-line benchmark's orders (orders/s), then every report
# page over HTTP with 3M journal lines (p50/p95); SQLite, then PostgreSQL when reachable
bench-books: $(BIN)/.bench-installed
	$(BIN)/python bench/bench_books.py
	$(BIN)/python bench/bench_books_reports.py
	@url="$$($(BIN)/python scripts/postgres_test_url.py)" || exit 1; \
	if [ -n "$$url" ]; then \
		$(BIN)/python bench/bench_books.py --database-url "$${url%/*}/bench_books" && \
		$(BIN)/python bench/bench_books_reports.py --database-url "$${url%/*}/bench_books_reports"; \
	fi

bench: $(BIN)/.bench-installed bench-tools
	$(BIN)/python bench/bench_whatsapp.py
	@mkdir -p var
	$(BIN)/python bench/bench_import.py --json | tee var/bench-import.json
	$(BIN)/python bench/bench_splink.py --merdeka-json var/bench-import.json
	$(MAKE) bench-storefront
	$(MAKE) bench-books

clean:
	rm -rf $(VENV) var/test
