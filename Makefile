# Two commands on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt

.PHONY: install browser demo test test-fast lint lab kernel bench clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name cibg-ds --display-name "cibg-ds" >/dev/null
	$(BIN)/python -c "from cibg_ds.mobility.stopwalk import compile_walk; compile_walk()"  # numba's cache
	$(BIN)/python -c "from cibg_ds.divide.spatial import warm_kernels as w; w(); from cibg_ds.viz.maps import _mapclassify as m; m()"  # esda's and mapclassify's numba cache
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the pinned package, dev tools and the cibg-ds kernel

demo: install      ## the demo pipeline on embedded data (simulate, validate, reports, bundles)
	$(BIN)/cibg-ds demo

browser:           ## Debian's chromium for the JupyterLab test (apt-get as root when missing)
	@command -v chromium >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } || \
	  echo "chromium missing and not root: the JupyterLab test is skipped (apt-get install chromium)"

test: install browser  ## the whole test suite (real dask processes, papermill, JupyterLab in chromium)
	$(BIN)/python -m pytest

test-fast: install     ## the library's tests without notebooks, browser, wheel or fault tests
	$(BIN)/python -m pytest -m "not (notebooks or browser or wheel or faults)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: install       ## JupyterLab on 127.0.0.1 with the cibg-ds kernel, widgets, the Dask panes and sample data
	@test -f data/demo/pings/_meta/manifest.json || \
	  $(BIN)/cibg-ds simulate --trucks 400 --days 2 --out data/demo/pings --overwrite
	@$(BIN)/jupyter labextension enable dask-labextension @jupyter-widgets/jupyterlab-manager >/dev/null 2>&1
	@$(BIN)/jupyter server extension enable --sys-prefix dask_labextension jupyter_server_proxy >/dev/null 2>&1
	$(BIN)/jupyter lab --ip 127.0.0.1 --no-browser --notebook-dir . $(ROOT_FLAG)

bench: install     ## side-by-side measurements (not part of the tests; see benchmarks/README.md)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_demo.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
