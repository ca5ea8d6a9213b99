"""Fresh virtual environments with the bert-keras wheel installed, outside the checkout, for
the packaging and notebook tests.

Which Python versions run the wheel test comes from `$BERT_KERAS_WHEEL_PYTHONS`, a list of
`X.Y:CONSTRAINTS` items (CONSTRAINTS: `lock` or `lowest`, the files in constraints/); `make
test` sets it, and without it every supported version other than the running one is tried
with the lock. A version this machine lacks is skipped, except under CI (`CI=true`), where a
missing interpreter is a failure.
"""

from __future__ import annotations

import fcntl
import glob
import os
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONSTRAINTS = {name: os.path.join(REPO_ROOT, "constraints", f"{name}.txt")
               for name in ("lock", "lowest")}
sys.path.insert(0, os.path.join(REPO_ROOT, "scripts"))
from find_python import SUPPORTED, find_python  # noqa: E402


def wheel_matrix() -> list[tuple[str, str]]:
    """`[(python_version, constraints_name)]` the wheel test runs on."""
    spec = os.environ.get("BERT_KERAS_WHEEL_PYTHONS")
    if spec is None:
        running = "%d.%d" % sys.version_info[:2]
        return [(version, "lock") for version in SUPPORTED if version != running]
    matrix = []
    for item in spec.split():
        version, _, constraints = item.partition(":")
        if constraints and constraints not in CONSTRAINTS:
            raise ValueError(f"BERT_KERAS_WHEEL_PYTHONS: unknown constraints {constraints!r} in "
                             f"{item!r}; expected one of {', '.join(CONSTRAINTS)}")
        matrix.append((version, constraints or "lock"))
    return matrix


def require_python(version: str) -> str:
    """The interpreter of `version`; skips the test where the machine lacks it (fails in CI)."""
    path = find_python(version)
    if path is None:
        message = f"no Python {version} on this machine (scripts/find_python.py)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def build_wheel(outdir: str, reuse: bool = False) -> str:
    """Builds the wheel (and sdist) of the checkout into `outdir` unless `reuse` finds one
    there. Builds are serialized with a lock next to `outdir` (test workers share it, and two
    builds at once clash in the checkout's build folders)."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = sorted(glob.glob(os.path.join(outdir, "bert_keras-*.whl")))
        if not (reuse and found):
            built = subprocess.run([sys.executable, "-m", "build", "--outdir", outdir,
                                    REPO_ROOT], capture_output=True, text=True)
            assert built.returncode == 0, f"python -m build failed:\n{built.stderr[-3000:]}"
            found = sorted(glob.glob(os.path.join(outdir, "bert_keras-*.whl")))
    assert len(found) == 1, f"expected one bert-keras wheel in {outdir}, found {found}"
    return found[0]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that could put the checkout on sys.path."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(extra)
    return env


def make_env(python: str, directory: str, *packages: str, constraints: str = "lock") -> str:
    """A new virtual environment of `python` in `directory` with `packages` pip-installed
    under `constraints` (`lock`, `lowest` or a file's path); returns the environment's python."""
    subprocess.run([python, "-m", "venv", directory], check=True, capture_output=True)
    env_python = os.path.join(directory, "bin", "python")
    if packages:
        pip(env_python, *packages, constraints=constraints)
    return env_python


def pip(env_python: str, *args: str, constraints: str = "lock") -> None:
    done = subprocess.run([env_python, "-m", "pip", "install", "--quiet", "--disable-pip-"
                           "version-check", "-c", CONSTRAINTS.get(constraints, constraints), *args],
                          capture_output=True, text=True, env=clean_env())
    assert done.returncode == 0, f"pip install {' '.join(args)} failed:\n{done.stderr[-3000:]}"

