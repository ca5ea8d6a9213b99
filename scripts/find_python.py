"""Finds the Python interpreters of given versions on this machine, for `make` and the tests.

`python3.12` on PATH is not enough: pyenv puts a shim for every version it knows there, and
the shim fails unless that version is selected, so each candidate is run once to prove it
works. Candidates: `pythonX.Y` on PATH, then pyenv's own `~/.pyenv/versions/X.Y.*/bin`.

Usage:
    python3 scripts/find_python.py 3.11 3.12 3.13            # one line per version found
    python3 scripts/find_python.py --first 3.11 3.12 3.13    # the first one found (make's pick)

Prints nothing for a version that is missing; exits 1 if none of the versions is found.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys

SUPPORTED = ("3.11", "3.12", "3.13")


def find_python(version: str) -> str | None:
    """The path of a working `python<version>` interpreter, or None."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin",
                                                f"python{version}")), reverse=True)
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=60, check=False)
        except OSError:
            continue
        if found.returncode == 0 and found.stdout.strip() == version:
            return candidate
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", default=list(SUPPORTED), metavar="X.Y")
    parser.add_argument("--first", action="store_true", help="print only the first one found")
    args = parser.parse_args(argv)
    found = [path for path in map(find_python, args.versions) if path]
    for path in found[:1] if args.first else found:
        print(path)
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
