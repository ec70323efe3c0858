# The two commands of the README: `make demo` (main job) and `make test` (whole suite).
# Both install everything they need on a fresh machine; nothing is downloaded at run time.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install setup-models system-packages lint-imports

$(STAMP): pyproject.toml constraints.txt Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet torch==2.13.0 -c constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	@# noun genders for concern names (nlp/nouns.py reads only its CSV; its lookup module would need lxml<5)
	$(BIN)/pip install --quiet --no-deps german-nouns==1.2.5
	touch $(STAMP)

install: $(STAMP)

setup-models: install
	$(BIN)/taten setup

system-packages:
	@command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)
	@# the browser tests drive Debian's Chromium through Playwright (never `playwright install`)
	@test -x /usr/bin/chromium || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null)

demo: setup-models
	$(BIN)/taten demo

lint-imports: install
	$(BIN)/lint-imports

test: system-packages setup-models
	$(BIN)/lint-imports
	$(BIN)/python -m pytest
