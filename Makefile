# The two commands a newcomer needs: `make run` serves the API on the embedded
# default; `make test` runs the import contracts and every test. Both set up
# .venv first. `make bench` prints the benchmark's figures.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/peoplecoin serve

SDK := tests/sdk/node_modules/.package-lock.json

# The real Sui TypeScript SDK, for the test that signs in with it.
$(SDK): tests/sdk/package.json tests/sdk/package-lock.json
	npm ci --prefix tests/sdk --no-audit --no-fund --loglevel=error
	touch $(SDK)

test: $(STAMP) $(SDK)
	bash scripts/ensure-services
	PYTHONPATH=src $(BIN)/lint-imports --config importlinter.ini
	$(BIN)/python -m pytest

# The benchmarks: the matching core in-process next to a bare matcher, then HTTP end to end
# with durable writes on SQLite and PostgreSQL. They print figures; docs/benchmarks.md keeps them.
bench: $(STAMP)
	bash scripts/ensure-services
	PYTHONPATH=src $(BIN)/python -m bench.matching
	PYTHONPATH=src $(BIN)/python -m bench.recovery
	PYTHONPATH=src $(BIN)/python -m bench.commit_latency
	PYTHONPATH=src $(BIN)/python -m bench.http_load --backend both
	PYTHONPATH=src $(BIN)/python -m bench.scaleout
	PYTHONPATH=src $(BIN)/python -m bench.engine_load
	PYTHONPATH=src $(BIN)/python -m bench.ws_load
	PYTHONPATH=src $(BIN)/python -m bench.creators
	PYTHONPATH=src $(BIN)/python -m bench.projections
	PYTHONPATH=src $(BIN)/python -m bench.settlement

# Re-pin every dependency to what is installed now (after changing pyproject.toml).
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^peoplecoin' > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis tests/sdk/node_modules
