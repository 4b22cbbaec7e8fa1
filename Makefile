# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt

.PHONY: install demo test lint lab kernel bench clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name cibg-ds --display-name "cibg-ds" >/dev/null
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the pinned package, dev tools and the cibg-ds kernel

demo: install      ## simulate a day of truck traffic on the embedded network and say where it went
	$(BIN)/cibg-ds demo

test: install      ## the whole test suite (starts real dask scheduler/worker processes)
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lab: install       ## JupyterLab on 127.0.0.1 with the cibg-ds kernel
	$(BIN)/jupyter lab --ip 127.0.0.1 --no-browser --notebook-dir .

bench: install     ## side-by-side measurements (not part of the tests)
	$(BIN)/python benchmarks/bench_simulate.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
