# The two set-up commands of README.md: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
WITH_DISTRIBUTED := $(VENV)/.installed-distributed

.PHONY: install demo test selfcheck release samples benchmark benchmark-sandbox clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(INSTALLED)

# The tests also cover grading on a local Dask cluster, an optional extra for users.
$(WITH_DISTRIBUTED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,distributed]'
	touch $(WITH_DISTRIBUTED)

install: $(INSTALLED)

# Regenerate the student release, grade the bundled sample class, print the grade table.
demo: install
	$(BIN)/python -m autograder release
	$(BIN)/python -m autograder grade autograder/samples --out grades --timeout 10

test: $(WITH_DISTRIBUTED)
	$(BIN)/python -m pytest

selfcheck: install
	$(BIN)/python -m autograder selfcheck

release: install
	$(BIN)/python -m autograder release

samples: install
	$(BIN)/python -m autograder samples

benchmark: $(WITH_DISTRIBUTED)
	$(BIN)/python benchmarks/grading_speed.py

# Sandbox set-up per kernel against the time per graded notebook.
benchmark-sandbox: install
	$(BIN)/python benchmarks/sandbox_setup.py

clean:
	rm -rf grades .pytest_cache
