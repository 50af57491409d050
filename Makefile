# The two entry points of the README: `make serve` (install, fetch the model, index the bundled
# examples, serve) and `make test` (install with the test tools, lint, type-check, run every test).
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTHON ?= python3
# torch comes from PyTorch's CPU wheel index: the default PyPI build pulls gigabytes of CUDA libraries.
# An extra index, not a replacement, so a pip that cannot reach it still finds torch where it is
# configured to look; `make serve TORCH_INDEX=` skips it (then torch is whatever pip finds first).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH := $(shell grep -o '"torch[=<>~!][^"]*"' pyproject.toml | tr -d '"')

.PHONY: install serve test lint browser

# The runtime only: what `make serve` needs. torch goes first, alone and without its dependencies,
# so that the one lookup on the extra index is torch's; the package install then adds the rest.
$(BIN)/govsearch: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The test tools (pytest, playwright, ruff, mypy, schemathesis): `make test` only.
$(BIN)/pytest: $(BIN)/govsearch
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

lint: install $(BIN)/pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install $(BIN)/pytest browser lint
	$(BIN)/pytest
