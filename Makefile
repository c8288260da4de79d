# newsradar: the two commands of the README's quick start, and a few more.
#   make demo   set up .venv and run the main job offline: a local site serving the seed
#               pages behind a feed, one `newsradar run --once`, and the alerts it produced
#   make test   set up .venv with the dev extras, check (make lint), run the whole test suite

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-dev run web bench lint clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'

demo: install
	$(BIN)/python scripts/demo.py

run: install
	$(BIN)/newsradar run --once

test: lint
	$(BIN)/python -m pytest -q

# the console on http://127.0.0.1:8080 (a password for the run is printed if none is set)
web: install
	$(BIN)/newsradar web --port 8080

# the console's pictures in docs/screenshots/ (docs/web.md), from the browser test in
# headless Chromium; a plain test run writes its screenshots to a temporary directory
screenshots: install-dev
	NEWSRADAR_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/web/test_browser.py

bench: install-dev
	$(BIN)/python bench/cleaner.py
	$(BIN)/python bench/topics.py
	$(BIN)/python bench/pipeline.py

# ruff, the layering (import contracts in pyproject.toml) and the types
lint: install-dev
	$(BIN)/ruff check worker tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .hypothesis
