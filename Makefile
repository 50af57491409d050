# The two entry points of the README: `make serve` (install, fetch the model, index the bundled
# examples, serve) and `make test` (install, lint, type-check, run every test).
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTHON ?= python3

.PHONY: install serve test lint browser

$(BIN)/govsearch: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

models/m3e-small/govsearch_model.json: | $(BIN)/govsearch
	$(BIN)/govsearch model fetch --dest models/m3e-small

install: $(BIN)/govsearch models/m3e-small/govsearch_model.json

serve: install
	$(BIN)/govsearch index examples/reports
	$(BIN)/govsearch serve

# The page test drives Debian's Chromium; install it where it is missing (CI runs as root).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install browser lint
	$(BIN)/pytest
