"""The `bert-keras` command line (also `python -m bert_keras`): the only code that parses flags.

One module per command group (`convert`, `vocab`, `finetune` with `evaluate` and `predict`,
`pretrain`, `pretraining_data`, `export` with `serve`, and the `demo`), each with
`register(subparsers)`, which adds its parser and sets `func` to a callable that takes the
parsed arguments, calls the library and returns an exit code. Options the library declares
(`bert_keras.options`) become flags through `bert_keras.cli.arguments`. This package is the
top layer: it may import every other, and nothing in the library imports it
(tests/test_import_layers.py).

Example:
    $ bert-keras convert --input path/to/hf_dir --output model.keras
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""
    from bert_keras.cli import (convert, demo, export, finetune, pretrain, pretraining_data,
                                vocab)

    parser = argparse.ArgumentParser(prog="bert-keras", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in (convert, vocab, finetune, pretrain, pretraining_data, demo, export):
        module.register(subparsers)
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
