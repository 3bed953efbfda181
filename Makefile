# nanogate: `make demo` runs the whole system, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS := broker,demo,train,dev,metrics

.PHONY: install demo test services lint typecheck protos check-protos bench bundle clean

$(STAMP): pyproject.toml deploy/llama/install.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# llama.cpp built for any x86-64 CPU, not this one's (see deploy/llama/install.sh)
	sh deploy/llama/install.sh $(BIN)/python --quiet
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python -m simulations.demo

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

# Regenerate the Python code for protos/ (committed; `check-protos` keeps it current).
protos: install
	$(BIN)/python -m grpc_tools.protoc -Iprotos --python_out=. --pyi_out=. \
		--grpc_python_out=. protos/nanogate/v1/*.proto

check-protos: install
	@tmp=$$(mktemp -d) && \
	$(BIN)/python -m grpc_tools.protoc -Iprotos --python_out=$$tmp --pyi_out=$$tmp \
		--grpc_python_out=$$tmp protos/nanogate/v1/*.proto && \
	for f in $$tmp/nanogate/v1/*; do \
		cmp -s $$f nanogate/v1/$$(basename $$f) || { echo "$$(basename $$f) is stale: run make protos"; exit 1; }; \
	done && rm -rf $$tmp && echo "generated protos are current"

# Mosquitto and PostgreSQL: found, started, or a clear error (see .ci/services).
services:
	@bash .ci/services

test: install lint typecheck check-protos services
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python -m simulations.bench all

# Offline install bundles, one per platform (linux x86_64 and aarch64, Python 3.11-3.13),
# into dist/; building needs the package index, installing them does not.
bundle: install
	$(BIN)/python deploy/gateway/bundle.py --out dist

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
