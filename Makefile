# The two set-up commands of README.md: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
WITH_DISTRIBUTED := $(VENV)/.installed-distributed

.PHONY: install demo test selfcheck release samples benchmark claims clean

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

# Run the solution notebooks in full mode and check every claim of their prose against their
# printed numbers (minutes; not part of `make test`).
claims: install
	$(BIN)/python benchmarks/claims.py

clean:
	rm -rf grades .pytest_cache
