"""Flags from the options the library declares (`bert_keras.options`), and flag types.

`add_options` turns each field of an options dataclass into a flag with the field's default,
help and check; `options_from` builds the options object back from the parsed arguments. A
value out of range stops the command before any work, with argparse's message naming the flag
and what it expected.

Example:
    >>> import argparse, dataclasses
    >>> from bert_keras.options import POSITIVE_INT, option
    >>> @dataclasses.dataclass(frozen=True)
    ... class Options:
    ...     epochs: int = option(3, POSITIVE_INT, "passes over the data")
    >>> parser = argparse.ArgumentParser()
    >>> add_options(parser, Options)
    ['epochs']
    >>> options_from(Options, parser.parse_args(["--epochs", "2"]))
    Options(epochs=2)
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

from bert_keras import storage
from bert_keras.options import (FRACTION, NON_NEGATIVE_FLOAT, OPEN_FRACTION, PORT,
                                POSITIVE_FLOAT, POSITIVE_INT, PROBABILITY, Check, flag,
                                option_fields)


def argument_type(check: Check) -> Callable[[str], Any]:
    """An argparse `type` that parses with `check` (argparse names the flag in its error)."""
    def parse(text: str) -> Any:
        try:
            return check.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return parse


# Flag types of the commands whose flags are not (yet) options of the library.
positive_int = argument_type(POSITIVE_INT)
positive_float = argument_type(POSITIVE_FLOAT)
non_negative_float = argument_type(NON_NEGATIVE_FLOAT)
fraction = argument_type(FRACTION)
open_fraction = argument_type(OPEN_FRACTION)
probability = argument_type(PROBABILITY)
port = argument_type(PORT)


def add_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, options_class: type,
                only_given: bool = False, skip: set[str] | None = None) -> list[str]:
    """Adds a flag for every option of `options_class`; returns the option names added.

    With `only_given`, a flag left out is absent from the parsed arguments (the options
    object then keeps its own default). Names in `skip` (already added) are left out.
    """
    added = []
    for field in option_fields(options_class):
        if skip is not None and field.name in skip:
            continue
        check = field.metadata["check"]
        help_text = field.metadata["help"]
        if field.default is not None and field.default is not False:
            help_text += f" (default: {field.default})"
        settings: dict[str, Any] = {
            "dest": field.name, "help": help_text,
            "default": argparse.SUPPRESS if only_given else field.default}
        if check.kind is bool:
            settings["action"] = "store_true"
        elif check.choices is not None:
            settings["choices"] = check.choices
        else:
            settings["type"] = argument_type(check)
            settings["nargs"] = "+" if check.many else None
        parser.add_argument(flag(field.name), **settings)
        added.append(field.name)
    return added


def options_from(options_class: type, args: argparse.Namespace) -> Any:
    """The options object of `options_class` with the values parsed into `args`."""
    return options_class(**{field.name: getattr(args, field.name)
                            for field in option_fields(options_class)
                            if hasattr(args, field.name)})


def given(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    """The values of the flags among `names` that were given (see `only_given`)."""
    return {name: getattr(args, name) for name in names if hasattr(args, name)}


def check_paths(args: argparse.Namespace, *names: str) -> None:
    """A FileNotFoundError naming the flag of the first given path (of the arguments `names`,
    each one path or a list of them) that does not exist.

    Example:
        >>> check_paths(argparse.Namespace(vocab="no/vocab.txt"), "vocab")
        Traceback (most recent call last):
        FileNotFoundError: --vocab no/vocab.txt: no such file or directory
    """
    for name in names:
        value = getattr(args, name, None)
        for path in value if isinstance(value, list) else [value]:
            if path and not storage.exists(path):
                raise FileNotFoundError(f"{flag(name)} {path}: no such file or directory")
