"""The `bert-keras` command line (also `python -m bert_keras`).

Each subcommand lives next to the code it drives, in a module with
`register(subparsers)` that adds its parser and sets `func` to a callable taking
the parsed arguments and returning an exit code.

Example:
    $ bert-keras convert --input path/to/hf_dir --output model.keras
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand. This module is the top of the command-line layer: it
    may import every layer, and no library module imports it (tests/test_import_layers.py)."""
    from bert_keras.checkpoints import cli as convert_cli
    from bert_keras.export import cli as export_cli
    from bert_keras.text import cli as vocab_cli
    from bert_keras.training import cli as training_cli
    from bert_keras.training import demo
    from bert_keras.training.pretraining import cli as pretrain_cli
    from bert_keras.training.pretraining import data_cli

    parser = argparse.ArgumentParser(prog="bert-keras", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in (convert_cli, vocab_cli, training_cli, pretrain_cli, data_cli, demo,
                   export_cli):
        module.register(subparsers)
    return parser


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (argparse names the flag in its error).

    Example:
        >>> positive_int("16")
        16
    """
    return _checked(int, text, lambda value: value >= 1, "a positive integer")


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    return _checked(int, text, lambda value: value >= 0, "an integer >= 0")


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    return _checked(float, text, lambda value: 0 < value < float("inf"), "a number > 0")


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    return _checked(float, text, lambda value: 0 <= value < float("inf"), "a number >= 0")


def fraction(text: str) -> float:
    """An argparse type: a number in [0, 1]."""
    return _checked(float, text, lambda value: 0 <= value <= 1, "a number in [0, 1]")


def probability(text: str) -> float:
    """An argparse type: a number in (0, 1]."""
    return _checked(float, text, lambda value: 0 < value <= 1, "a number in (0, 1]")


def open_fraction(text: str) -> float:
    """An argparse type: a number in (0, 1)."""
    return _checked(float, text, lambda value: 0 < value < 1, "a number in (0, 1)")


def port(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free one) to 65535."""
    return _checked(int, text, lambda value: 0 <= value <= 65535, "a port in [0, 65535]")


def _checked(convert, text: str, valid, expected: str):
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or value != value or not valid(value):  # value != value: NaN
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


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
