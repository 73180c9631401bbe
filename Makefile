# The two set-up commands (see README.md):
#   make run    install into .venv and run the wall with the shipped config.yaml
#   make test   install everything the tests need (Python packages, Debian's chromium) and run them all
# Both work in a fresh clone; re-running them installs only what changed.

VENV    ?= .venv
PYTHON  ?= python3
CONFIG  ?= config.yaml
PIP     := $(VENV)/bin/pip --disable-pip-version-check

.PHONY: run test install install-test browser lint clean

run: install
	$(VENV)/bin/socialwall serve --config $(CONFIG)

test: install-test browser
	$(VENV)/bin/ruff check app ingest tests
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -c constraints.txt -e '.[test]'
	touch $@

browser:
	scripts/install-browser.sh

lint: install-test
	$(VENV)/bin/ruff check app ingest tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) data .pytest_cache
