"""The `bert-keras` command line (also `python -m bert_keras`).

Each subcommand lives next to the code it drives, in a module with
`register(subparsers)` that adds its parser and sets `func` to a callable taking
the parsed arguments and returning an exit code.

Example:
    $ bert-keras convert --input path/to/hf_dir --output model.keras
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMAND_MODULES = (
    "bert_keras.checkpoints.cli",
    "bert_keras.text.cli",
    "bert_keras.training.cli",
    "bert_keras.training.pretraining.cli",
    "bert_keras.training.pretraining.data_cli",
    "bert_keras.training.demo",
    "bert_keras.export.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bert-keras", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs a subcommand; an `OSError` it does not handle itself (a full disk, a folder that
    cannot be written) ends it with a one-line message naming the file and exit status 1."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except OSError as error:
        print(f"bert-keras {args.command}: {describe_os_error(error)}", file=sys.stderr)
        return 1


def describe_os_error(error: OSError) -> str:
    """`error` in one line: the file it concerns (when known) and what went wrong.

    Example:
        >>> describe_os_error(OSError(28, "No space left on device", "runs/x/model.keras"))
        'runs/x/model.keras: No space left on device'
    """
    message = error.strerror or str(error)
    if error.filename and str(error.filename) not in message:
        message = f"{error.filename}: {message}"
    return " ".join(message.split())


if __name__ == "__main__":
    sys.exit(main())
