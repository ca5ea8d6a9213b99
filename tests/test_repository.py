"""The repository's own rules: one import namespace (`bert_keras`), nothing that only works on
one machine, and design notes that a clone has."""

from __future__ import annotations

import os
import re
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OLD_TOP_LEVEL_IMPORT = re.compile(r"^\s*(?:\"\s*)?(?:from|import)\s+(?:training|export)\b",
                                  re.MULTILINE)
# Paths of one machine (a home, a checkout, a temporary folder, a Windows drive) or the
# session notes that live outside the repository. Built from names, so that this file holds no
# such path itself.
MACHINE_ROOTS = ("work", "root", "home", "Users", "opt", "tmp")
SESSION_NOTES = ("shared", "DESIGN")
MACHINE_PATH = re.compile("|".join([*(f"/{root}/" for root in MACHINE_ROOTS),
                                    r"[A-Z]:\\\\", "/".join(SESSION_NOTES)]))


def tracked_files(*patterns: str) -> list[str]:
    listed = subprocess.run(["git", "ls-files", *patterns], cwd=REPO_ROOT, check=True,
                            capture_output=True, text=True).stdout.split()
    return [os.path.join(REPO_ROOT, name) for name in listed]


def read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def test_nothing_imports_the_old_top_level_packages():
    offenders = [os.path.relpath(path, REPO_ROOT)
                 for path in tracked_files("*.py", "*.ipynb", "*.md")
                 if OLD_TOP_LEVEL_IMPORT.search(read(path))]
    assert offenders == []


def test_no_absolute_machine_paths_in_code_tests_or_docs():
    offenders = [f"{os.path.relpath(path, REPO_ROOT)}:{number}: {line.strip()}"
                 for path in tracked_files("*.py", "*.ipynb", "*.md", "*.toml", "*.txt",
                                           "*.ini", "Makefile", ".ci/*")
                 if "benchmarks/results" not in path
                 for number, line in enumerate(read(path).splitlines(), 1)
                 if MACHINE_PATH.search(line)]
    assert offenders == []


def test_user_modules_named_like_our_subpackages_change_nothing(tmp_path):
    """`export.py` and `training.py` in the working directory (sys.path[0] of a script) are the
    user's own; `bert_keras.export` and `bert_keras.training` are found all the same."""
    for name in ("export", "training"):
        (tmp_path / f"{name}.py").write_text(f"raise ImportError('the user module {name}.py')\n")
    script = ("from bert_keras.export.client import PredictionClient\n"
              "from bert_keras.training import make_strategy\n"
              "import bert_keras.export, bert_keras.training, sys\n"
              "print(bert_keras.export.__name__, bert_keras.training.__name__,\n"
              "      sorted(name for name in sys.modules if name in ('export', 'training')))\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-3:] == ["bert_keras.export", "bert_keras.training", "[]"]
