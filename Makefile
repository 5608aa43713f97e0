# The two set-up commands of README.md: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
WITH_DISTRIBUTED := $(VENV)/.installed-distributed
WITH_MUTATION := $(VENV)/.installed-mutation
WORKSPACE ?= workspace

.PHONY: install install-gpu browser-test demo lint test test-fast selfcheck notebooks release samples benchmark benchmark-sandbox claims mutation clean student lab

# PyTorch: the version pinned in pyproject.toml, from PyTorch's own wheel index. On Linux a plain
# `pip install torch` gets the CUDA build with several GB of nvidia-* wheels, so `install` first
# takes torch alone (its dependencies come with the project next) from the CPU index. macOS wheels
# on PyPI are CPU/MPS builds already. `install-gpu` swaps in the CUDA build for the driver.
TORCH_VERSION := $(shell sed -n 's/^ *"torch==\([^"]*\)".*/\1/p' pyproject.toml)
TORCH_INDEX := https://download.pytorch.org/whl
CUDA ?= cu128
PIP := $(BIN)/python -m pip install --disable-pip-version-check

$(INSTALLED): pyproject.toml
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv $(VENV) || \
	  { echo "No working venv module: on Debian/Ubuntu run: sudo apt-get install python3-venv (python3.11-venv for python3.11)"; exit 1; }
	if [ "$$(uname -s)" = Linux ]; then $(PIP) --quiet --no-deps torch==$(TORCH_VERSION) --index-url $(TORCH_INDEX)/cpu; fi
	$(PIP) --quiet -e '.[test]'
	touch $(INSTALLED)

# The tests also cover grading on a local Dask cluster, an optional extra for users.
$(WITH_DISTRIBUTED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,distributed]'
	touch $(WITH_DISTRIBUTED)

install: $(INSTALLED)

# GPU VMs: the CUDA build of PyTorch with the CUDA libraries it needs (nvidia-* wheels), from the
# index for CUDA (cu126, cu128, cu130: at most the "CUDA Version" that nvidia-smi prints; the
# doctor names it), then the doctor's report.
install-gpu: $(INSTALLED)
	$(PIP) torch==$(TORCH_VERSION)+$(CUDA) --index-url $(TORCH_INDEX)/$(CUDA)
	$(BIN)/python -m cs_utils doctor

# Regenerate the student release, grade the bundled sample class, print the grade table.
demo: install
	$(BIN)/python -m autograder release
	$(BIN)/python -m autograder grade autograder/samples --out grades --timeout 10

# The import contracts and ruff's rules, both in pyproject.toml.
lint: $(INSTALLED)
	$(BIN)/lint-imports
	$(BIN)/ruff check .

test: $(WITH_DISTRIBUTED) lint
	$(BIN)/python -m pytest

# The same without the tests marked slow: those that grade a class (the course, the hostile notebooks).
test-fast: $(WITH_DISTRIBUTED) lint
	$(BIN)/python -m pytest -m "not slow"

selfcheck: install
	$(BIN)/python -m autograder selfcheck

notebooks: install
	$(BIN)/python -m autograder notebooks

release: install
	$(BIN)/python -m autograder release

samples: install
	$(BIN)/python -m autograder samples

benchmark: $(WITH_DISTRIBUTED)
	$(BIN)/python benchmarks/grading_speed.py

# Run the solution notebooks in full mode and check every claim of their prose against their
# printed numbers (minutes; not part of `make test`).
claims: install
	$(BIN)/python benchmarks/claims.py
# Mutation testing (Cosmic Ray) of the references, the verifier, result storage, the CSV writers,
# the gradient check and the hidden checks, each module against its own fast tests; prints the
# per-module table and writes it to mutation/results/table.md; then the named one-line bugs of
# mutation/named.py. Half an hour without the checks, hours with them, so not part of `make test`.
# MUTATION_ARGS="--only autograder/checks --sample 40" runs a part on a sample; see mutation/README.md.
$(WITH_MUTATION): $(INSTALLED)
	$(PIP) --quiet -e '.[test,mutation]'
	touch $(WITH_MUTATION)

mutation: $(WITH_MUTATION)
	$(BIN)/python mutation/run.py $(MUTATION_ARGS)
	$(BIN)/python mutation/named.py

# Sandbox set-up per kernel against the time per graded notebook.
benchmark-sandbox: install
	$(BIN)/python benchmarks/sandbox_setup.py

clean:
	rm -rf grades .pytest_cache

# Students: a copy of the assignments of their own (never overwritten), and JupyterLab on it.
student: install
	$(BIN)/python -m cs_utils start $(WORKSPACE)

lab: student
	$(BIN)/python -m cs_utils lab $(WORKSPACE)

# A student's JupyterLab in headless Chromium (Debian's package; Playwright drives it): screenshots
# in browser-test/. Not part of `make test` (minutes, and it needs the browser).
browser-test: install
	command -v chromium >/dev/null || apt-get install -y chromium
	$(PIP) --quiet -e '.[test,browser]'
	$(BIN)/python -m tests.browser_check
