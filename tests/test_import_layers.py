"""The import rule between the package's layers (docs/architecture.md), checked on the source:

- the core library (`bert_keras.*` outside `training`, `export` and the command line) imports
  neither `bert_keras.training` nor `bert_keras.export`;
- `bert_keras.export` never imports `bert_keras.training`;
- `bert_keras.training` never imports `bert_keras.export`.

Only the command-line layer (the `bert_keras.cli` package, which holds the demo, and
`bert_keras.__main__`) may import every layer, and nothing else imports it.
"""

from __future__ import annotations

import ast
import os

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Source folder -> the package it installs as (pyproject.toml's package-dir).
PACKAGES = {"bert_keras": "bert_keras", "training": "bert_keras.training",
            "export": "bert_keras.export"}
COMMAND_LINE = {"bert_keras.cli", "bert_keras.__main__"}
# Modules that may parse flags: argparse belongs to the command line.
ARGPARSE = "argparse"


def _modules() -> dict[str, str]:
    """Module name -> file, for every module of the package."""
    modules = {}
    for folder, package in PACKAGES.items():
        for root, _, files in os.walk(os.path.join(REPO_ROOT, folder)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    parts = os.path.relpath(path, os.path.join(REPO_ROOT, folder))[:-3].split(os.sep)
                    parts = parts[:-1] if parts[-1] == "__init__" else parts
                    modules[".".join([package, *parts])] = path
    return modules


def _imports(module: str, path: str) -> set[str]:
    """The absolute names a module imports (relative imports resolved), also inside functions
    and by `importlib.import_module("...")`."""
    with open(path, encoding="utf-8") as file:
        tree = ast.parse(file.read(), path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(node.args[0].value)
    return names


def _layer(module: str) -> str:
    if module in COMMAND_LINE or module.startswith("bert_keras.cli."):
        return "command line"
    for layer in ("bert_keras.training", "bert_keras.export"):
        if module == layer or module.startswith(layer + "."):
            return layer
    return "core"


FORBIDDEN = {"core": ("bert_keras.training", "bert_keras.export", "bert_keras.cli", ARGPARSE),
             "bert_keras.export": ("bert_keras.training", "bert_keras.cli", ARGPARSE),
             "bert_keras.training": ("bert_keras.export", "bert_keras.cli", ARGPARSE)}


def _violations() -> list[str]:
    found = []
    for module, path in sorted(_modules().items()):
        for forbidden in FORBIDDEN.get(_layer(module), ()):
            for name in sorted(_imports(module, path)):
                if name == forbidden or name.startswith(forbidden + "."):
                    found.append(f"{module} ({_layer(module)}) imports {name}")
    return found


def test_no_module_imports_a_layer_above_it():
    layers = {_layer(module) for module in _modules()}
    assert layers == {"core", "bert_keras.training", "bert_keras.export", "command line"}
    assert _violations() == []


@pytest.mark.parametrize("source, expected", [
    ("from bert_keras.training.tasks import get_recipe\n", "bert_keras.training.tasks"),
    ("import importlib\nimportlib.import_module('bert_keras.export.server')\n",
     "bert_keras.export.server"),
    ("from ..training import fit\n", "bert_keras.training"),
])
def test_the_rule_sees_every_form_of_import(tmp_path, source, expected):
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert expected in _imports("bert_keras.text.probe", str(path))
