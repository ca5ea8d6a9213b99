"""Options declared once: dataclass fields that carry a default, a range and a help text.

Fine-tuning, pretraining and each task recipe declare their options as frozen dataclasses whose
fields come from `option(...)`. The Python API takes these objects; the command line builds its
flags from the same fields (`bert_keras.cli.arguments`), so a default, a range or a help text
is written in one place. Values are checked when the object is made (`check_options` in
`__post_init__`): an invalid one raises a ValueError that names the option, its flag and the
range allowed, before any work starts.

Example:
    >>> @dataclasses.dataclass(frozen=True)
    ... class Options:
    ...     epochs: int = option(3, POSITIVE_INT, "passes over the training data")
    ...     def __post_init__(self):
    ...         check_options(self)
    >>> Options(epochs=0)
    Traceback (most recent call last):
    ValueError: epochs (--epochs): expected a positive integer, got 0
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Iterator


@dataclasses.dataclass(frozen=True)
class Check:
    """What values an option takes: a Python type, a test and how to say what is expected.

    `parse` turns command-line text into a value; `check` tests a value given in Python.
    `choices` lists the allowed strings of a choice; `many` marks a list of values; `accepts`
    are types whose instances the Python API takes as they are (a `tf.distribute.Strategy`
    where the command line names one).
    """

    kind: type
    expected: str
    valid: Callable[[Any], bool] = lambda value: True
    choices: tuple[str, ...] | None = None
    many: bool = False
    accepts: tuple[type, ...] = ()

    def parse(self, text: str) -> Any:
        """The value of one command-line word (a ValueError saying what was expected)."""
        try:
            value = self.kind(text)
        except ValueError:
            value = None
        if value is None or not self._accepts(value):
            raise ValueError(f"expected {self.expected}, got {text!r}")
        return value

    def check(self, value: Any) -> None:
        """Raises a ValueError unless `value` (given in Python) is allowed; None always is:
        it means the option is not set."""
        if value is None or (self.accepts and isinstance(value, self.accepts)):
            return
        values = value if self.many else [value]
        if self.many and (isinstance(value, str) or not isinstance(value, (list, tuple))
                          or not value):
            values = [None]
        if not all(self._has_kind(item) and self._accepts(item) for item in values):
            raise ValueError(f"expected {self.expected}, got {value!r}")

    def _has_kind(self, value: Any) -> bool:
        if self.kind is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind is int:
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, self.kind)

    def _accepts(self, value: Any) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.choices is not None:
            return value in self.choices
        return bool(self.valid(value))


def choice(*values: str) -> Check:
    """A check that allows one of `values`.

    Example:
        >>> choice("adamw", "lamb").parse("sgd")
        Traceback (most recent call last):
        ValueError: expected one of adamw, lamb, got 'sgd'
    """
    return Check(str, "one of " + ", ".join(values), choices=tuple(values))


INTEGER = Check(int, "an integer")
POSITIVE_INT = Check(int, "a positive integer", lambda value: value >= 1)
NON_NEGATIVE_INT = Check(int, "an integer >= 0", lambda value: value >= 0)
NUMBER = Check(float, "a finite number")
POSITIVE_FLOAT = Check(float, "a number > 0", lambda value: value > 0)
NON_NEGATIVE_FLOAT = Check(float, "a number >= 0", lambda value: value >= 0)
FRACTION = Check(float, "a number in [0, 1]", lambda value: 0 <= value <= 1)
OPEN_FRACTION = Check(float, "a number in (0, 1)", lambda value: 0 < value < 1)
PROBABILITY = Check(float, "a number in (0, 1]", lambda value: 0 < value <= 1)
PORT = Check(int, "a port in [0, 65535]", lambda value: 0 <= value <= 65535)
SWITCH = Check(bool, "True or False")
TEXT = Check(str, "a text")
TEXTS = Check(str, "one or more texts", many=True)


def option(default: Any, check: Check, help: str) -> Any:
    """A dataclass field for an option: its default, the values it takes and its help text.

    Example:
        >>> @dataclasses.dataclass(frozen=True)
        ... class Options:
        ...     seed: int = option(0, INTEGER, "random seed")
        >>> [field.metadata["help"] for field in option_fields(Options)]
        ['random seed']
    """
    return dataclasses.field(default=default, metadata={"check": check, "help": help})


def option_fields(options: Any) -> Iterator[dataclasses.Field]:
    """The fields of an options dataclass (or instance) made with `option`, in order."""
    for field in dataclasses.fields(options):
        if "check" in field.metadata:
            yield field


def flag(name: str) -> str:
    """The command-line flag of an option: `doc_stride` -> `--doc-stride`."""
    return "--" + name.replace("_", "-")


def check_options(options: Any) -> None:
    """Checks every option of a dataclass instance; the error names the option and its flag.

    Call it from `__post_init__`.
    """
    for field in option_fields(options):
        try:
            field.metadata["check"].check(getattr(options, field.name))
        except ValueError as error:
            raise ValueError(f"{field.name} ({flag(field.name)}): {error}") from None


def from_values(options_class: type, values: dict[str, Any], source: str) -> Any:
    """An options object from a dict (a task's options as given or as task.json records them);
    a name the class does not declare is an error naming `source` and the valid names.

    Example:
        >>> @dataclasses.dataclass(frozen=True)
        ... class Options:
        ...     seed: int = option(0, INTEGER, "random seed")
        >>> from_values(Options, {"sead": 1}, "task sst2")
        Traceback (most recent call last):
        ValueError: task sst2 has no option sead (--sead); its options: seed
    """
    names = [field.name for field in option_fields(options_class)]
    unknown = [name for name in values if name not in names]
    if unknown:
        flags = ", ".join(f"{name} ({flag(name)})" for name in unknown)
        raise ValueError(f"{source} has no option {flags}; its options: "
                         f"{', '.join(names) or 'none'}")
    return options_class(**values)
