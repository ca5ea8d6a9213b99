"""Every path a user gives goes through `bert_keras.storage` (and so `tf.io.gfile` for URLs
such as `gs://`): the package's sources call no Python file function directly, outside a short
allow-list of files that only touch the package's own files.

The check reads the code (not docstrings, whose examples may `open` temporary files)."""

from __future__ import annotations

import ast
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_FOLDERS = ("bert_keras", "training", "export")
# Calls that open, list, test, move or delete files by path.
FORBIDDEN = {"open", "io.open", "glob.glob", "glob.iglob", "os.makedirs", "os.mkdir",
             "os.listdir", "os.scandir", "os.walk", "os.stat", "os.remove", "os.unlink",
             "os.rmdir", "os.rename", "os.replace", "os.path.exists", "os.path.isdir",
             "os.path.isfile", "os.path.getsize", "os.path.getmtime"}
FORBIDDEN_MODULES = ("shutil.",)
# File (relative to the repository) -> why it may call them.
ALLOWED = {
    os.path.join("bert_keras", "storage.py"): "the one owner of file access",
    os.path.join("bert_keras", "samples", "__init__.py"): "the package's own shipped samples",
}


def _dotted(node: ast.AST) -> str | None:
    """`os.path.exists` for the expression `os.path.exists`, None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def file_calls(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """`(line, name)` of every direct call of a file function in `source`."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name and (name in FORBIDDEN or name.startswith(FORBIDDEN_MODULES)):
                found.append((node.lineno, name))
    return sorted(found)


def _violations() -> list[str]:
    found = []
    for folder in SOURCE_FOLDERS:
        for root, _, files in os.walk(os.path.join(REPO_ROOT, folder)):
            for name in sorted(files):
                path = os.path.join(root, name)
                relative = os.path.relpath(path, REPO_ROOT)
                if not name.endswith(".py") or relative in ALLOWED:
                    continue
                with open(path, encoding="utf-8") as file:
                    calls = file_calls(file.read(), path)
                found += [f"{relative}:{line}: {call}(...)" for line, call in calls]
    return found


def test_package_code_opens_user_paths_only_through_storage():
    violations = _violations()
    assert not violations, ("call bert_keras.storage instead (it sends URLs through "
                            "tf.io.gfile):\n" + "\n".join(violations))


def test_the_check_sees_calls_but_not_docstrings():
    source = ('def f(path):\n'
              '    """>>> open(path)"""\n'
              '    with open(path) as file:\n'
              '        return os.path.exists(path), shutil.copyfile(path, path + "~")\n')
    assert file_calls(source) == [(3, "open"), (4, "os.path.exists"), (4, "shutil.copyfile")]


def test_the_allow_list_names_existing_files():
    assert all(os.path.isfile(os.path.join(REPO_ROOT, path)) for path in ALLOWED)
