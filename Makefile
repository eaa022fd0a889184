# Switchboard developer commands. `make run` and `make test` are the two that matter (README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Only lint the folders that exist (tests/ and bench/ may not yet); ruff fails on missing paths.
LINT_PATHS := $(wildcard src tests bench)
BENCHES := $(sort $(wildcard bench/bench_*.py))

.PHONY: venv run demo lint test bench clean

venv: $(STAMP)

# Re-install only when pyproject.toml changes; the stamp records the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/switchboard run examples/inbound-call.yaml --out out/inbound-call

# A living contact center on ./switchboard.db (Ctrl-C stops it; the next start resumes it).
demo: venv
	$(BIN)/switchboard serve --demo

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/lint-imports

test: venv lint
	$(BIN)/python -m pytest

bench: venv
	@if [ -z "$(BENCHES)" ]; then echo "no bench/bench_*.py yet"; fi
	@set -e; for b in $(BENCHES); do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) out build dist bench/results .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +
