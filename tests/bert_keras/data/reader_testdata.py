"""Shared by the reader tests: sample and shared-data paths, file writing, DataError checks.

(A module rather than a conftest.py: pytest.ini's --doctest-modules imports every conftest.py as
a module named `conftest`, so a second one would clash with tests/conftest.py.)
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from bert_keras.data import DataError
from task_samples import SHARED_DATA, needs_shared_data  # noqa: F401  (used by the reader tests)

REPO_ROOT = Path(__file__).resolve().parents[3]
TASKS = REPO_ROOT / "tests" / "data" / "tasks"


@pytest.fixture(autouse=True)
def _reset_keras_state():
    """Replaces tests/conftest.py's per-test Keras reset (~0.3 s each): readers use no Keras.

    Test modules import it, which makes it theirs.
    """
    yield


def write(path: Path, text: str | bytes) -> Path:
    """Writes exactly `text` (UTF-8, no newline translation) or `bytes` to `path`."""
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


@contextlib.contextmanager
def raises_data_error(path: Path, line: int | None, *fragments: str):
    """The block raises a DataError naming `path` and `line` (None: the whole file) whose
    problem contains every fragment."""
    with pytest.raises(DataError) as excinfo:
        yield excinfo
    error = excinfo.value
    assert (error.path, error.line) == (str(path), line), str(error)
    where = str(path) if line is None else f"{path}:{line}: "
    assert str(error).startswith(where), str(error)
    for fragment in fragments:
        assert fragment in error.problem, str(error)
