# Each target sets up .venv itself, so a fresh clone needs only Python >= 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/monitor.yaml

.PHONY: install run test bench eval soak lint clean chromium

# The editable install puts the project directory on sys.path (compat mode) instead of
# setuptools' import finder, which costs every command ~15 ms at start.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

# The project's modules compiled ahead (only those changed since): otherwise a shell that turns
# bytecode writing off compiles every module again in every process the service or a
# benchmark starts.
COMPILE = $(BIN)/python -m compileall -q monitor alerts bench >/dev/null

install: $(STAMP)

run: $(STAMP)
	$(COMPILE)
	$(BIN)/news-monitor run --config $(CONFIG)

test: $(STAMP) chromium
	$(COMPILE)
	$(BIN)/pytest

# The web page's browser tests drive Debian's Chromium through Playwright (no browser
# download). Installed here where apt works as root (as in CI); elsewhere they are skipped.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium could not be installed: the web page's browser tests will be skipped"

# The benchmark also times rss2email over the same feeds (a bench-only extra).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]' --config-settings editable_mode=compat
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(COMPILE)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.web
	$(BIN)/python -m bench.workers
	$(BIN)/python -m bench.watchlist
	$(BIN)/python -m bench.latency --out bench/latency_results.json

eval: $(STAMP)
	$(BIN)/python -m bench.extraction

soak: $(STAMP)
	$(BIN)/pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check monitor alerts tests bench
	$(BIN)/mypy monitor alerts

clean:
	rm -rf $(VENV) build *.egg-info
