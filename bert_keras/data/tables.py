"""Sentence and sentence-pair examples with class or float labels, from TSV, CSV or JSON Lines.

Example:
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "train.csv"), "w") as f:
    ...     _ = f.write('review,stars\\n"Great, really",good\\nMeh,bad\\n')
    >>> train = read_table(os.path.join(folder, "train.csv"), "review", "stars")
    >>> train.label_names
    ('bad', 'good')
    >>> train.examples[0]
    TextExample(text='Great, really', text_pair=None, label=1, line=2)
    >>> with open(os.path.join(folder, "dev.csv"), "w") as f:
    ...     _ = f.write('review,stars\\nAwful,terrible\\n')
    >>> read_table(os.path.join(folder, "dev.csv"), "review", "stars",
    ...            label_names=train.label_names)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    bert_keras.data.files.DataError: .../dev.csv:2: column 'stars': unknown label 'terrible' ...
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bert_keras.data.columns import Column, Record, column_name, read_columns
from bert_keras.data.files import DataError, PathLike


@dataclass(frozen=True, slots=True)
class TextExample:
    """One sentence or sentence pair with its label.

    Attributes:
        text: the (first) sentence.
        text_pair: the second sentence of a pair task, else None.
        label: class index into the split's `label_names`, or the float target of regression.
        line: 1-based line of the record in its file.
    """

    text: str
    text_pair: str | None
    label: int | float
    line: int


@dataclass(frozen=True)
class TextSplit:
    """The examples of one file, with the class names (None for regression)."""

    path: str
    examples: list[TextExample]
    label_names: tuple[str, ...] | None

    def __len__(self) -> int:
        return len(self.examples)


def read_table(
    path: PathLike,
    text_columns: Column | Sequence[Column],
    label_column: Column,
    *,
    label_names: Sequence[str] | None = None,
    regression: bool = False,
    file_format: str | None = None,
    header: bool = True,
) -> TextSplit:
    """Reads a classification or regression data set with one or two text columns.

    Args:
        path: a .tsv (tabs, no quoting), .csv (standard quoting) or .jsonl file.
        text_columns: the text column, or the two columns of a sentence pair (names, JSON keys,
            or 0-based indices with `header=False`).
        label_column: the label column.
        label_names: classification only: the known labels; every label must be one of them
            and examples get its index. None (for a training file): the labels found, sorted
            (numerically when all are integers). Pass the training split's `label_names` when
            reading its dev and test files.
        regression: labels are floats, `label_names` is None.
        file_format: "tsv", "csv" or "jsonl" when the extension does not tell.
        header: whether the first TSV/CSV line names the columns.

    Raises:
        DataError: naming file, line and problem (also: empty text, unknown label, a label that
            is not a number in regression).
    """
    texts = [text_columns] if isinstance(text_columns, (str, int)) else list(text_columns)
    if len(texts) not in (1, 2):
        raise ValueError(f"text_columns must name 1 or 2 columns, got {texts}")
    if regression and label_names is not None:
        raise ValueError("label_names is for classification; regression labels are floats")
    records = read_columns(path, [*texts, label_column], file_format=file_format, header=header)
    if regression:
        return TextSplit(os.fspath(path), make_examples(path, records, texts, label_column,
                                                        float_label), None)
    if label_names is not None and len(set(label_names)) != len(label_names):
        raise ValueError(f"label_names has duplicates: {list(label_names)}")
    if label_names is None:
        label_names = sorted_labels({class_label(values[-1]) for _, values in records} - {None})
    index = {name: i for i, name in enumerate(label_names)}
    return TextSplit(os.fspath(path),
                     make_examples(path, records, texts, label_column, lambda v: _lookup(v, index)),
                     tuple(label_names))


def make_examples(
    path: PathLike,
    records: list[Record],
    text_columns: Sequence[Column],
    label_column: Column,
    parse_label: Callable[[Any], int | float],
) -> list[TextExample]:
    """Turns `read_columns` records (texts first, label last) into examples.

    `parse_label` raises ValueError with the problem; it becomes a DataError naming file and line.
    """
    pair = len(text_columns) == 2
    examples = []
    for line, values in records:
        for column, value in zip(text_columns, values):
            if not isinstance(value, str):
                raise DataError(path, line, f"{column_name(column)} must be text, found "
                                            f"{type(value).__name__}")
            if not value.strip():
                raise DataError(path, line, f"empty text in {column_name(column)}")
        try:
            label = parse_label(values[-1])
        except ValueError as e:
            raise DataError(path, line, f"{column_name(label_column)}: {e}") from None
        examples.append(TextExample(values[0], values[1] if pair else None, label, line))
    return examples


def class_label(value: Any) -> str | None:
    """A class label as text (JSON integers too), or None when it is not a str or int."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def float_label(value: Any) -> float:
    """Parses a regression target; ValueError names the bad value."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"label {value!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"label {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"label {value!r} is not a finite number")
    return number


def sorted_labels(labels: set[str]) -> list[str]:
    """Labels sorted numerically when all are integers ("2" before "10"), else as text."""
    if all(label.lstrip("-").isdigit() for label in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def _lookup(value: Any, index: dict[str, int]) -> int:
    label = class_label(value)
    if label is None:
        raise ValueError(f"label {value!r} is not text or an integer")
    if label not in index:
        known = list(index)
        shown = ", ".join(known[:20]) + (f", ... ({len(known)} in all)" if len(known) > 20 else "")
        raise ValueError(f"unknown label {label!r} (known labels: {shown})")
    return index[label]
