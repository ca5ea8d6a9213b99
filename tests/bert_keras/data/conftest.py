"""Fixtures for the reader tests: shipped samples, the full shared data, files written on demand.

Fixtures only: several test folders have a conftest.py, so `from conftest import` is ambiguous.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from bert_keras.data import DataError

REPO_ROOT = Path(__file__).resolve().parents[3]
TASKS = REPO_ROOT / "tests" / "data" / "tasks"
SHARED_DATA = REPO_ROOT / ".." / "shared" / "data"


@pytest.fixture(autouse=True)
def _reset_keras_state():
    """Replaces tests/conftest.py's per-test Keras reset (~0.3 s each): readers use no Keras."""
    yield


@pytest.fixture
def tasks() -> Path:
    """`tests/data/tasks`: the shipped samples."""
    return TASKS


@pytest.fixture
def shared() -> Path:
    """`../shared/data` (developers and CI only): the full real data sets."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (fresh clone)")
    return SHARED_DATA


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a new UTF-8 file with exactly `text` in it."""

    def make(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        return path

    return make


@pytest.fixture
def raises_data_error():
    """with raises_data_error(path, line, *fragments): the block raises a DataError naming
    `path` and `line` (None: the whole file) whose problem contains every fragment."""

    @contextlib.contextmanager
    def expect(path: Path, line: int | None, *fragments: str):
        with pytest.raises(DataError) as excinfo:
            yield excinfo
        error = excinfo.value
        assert (error.path, error.line) == (str(path), line), str(error)
        where = str(path) if line is None else f"{path}:{line}: "
        assert str(error).startswith(where), str(error)
        for fragment in fragments:
            assert fragment in error.problem, str(error)

    return expect
