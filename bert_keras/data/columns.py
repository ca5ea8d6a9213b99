"""Reading chosen columns, line by line, from TSV, CSV and JSON Lines files.

TSV files are read the GLUE way: fields split on tabs, no quoting (`"` is an ordinary
character). CSV files use standard quoting (Python's `csv` module, fields may span lines).
JSON Lines files hold one JSON object per line; columns are keys.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "pairs.tsv")
    >>> with open(path, "w") as f:
    ...     _ = f.write('id\\tsentence\\tlabel\\n7\\tHe said "yes".\\t1\\n')
    >>> read_columns(path, ["sentence", "label"])
    [(2, ['He said "yes".', '1'])]
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from typing import Any

from bert_keras.data.files import DataError, PathLike, read_lines, read_text

Column = str | int  # a header name or JSON key, or a 0-based field index
Record = tuple[int, list[Any]]  # (1-based line, values of the chosen columns)

_EXTENSIONS = {".tsv": "tsv", ".csv": "csv", ".jsonl": "jsonl"}
_SEPARATOR_NAMES = {"tsv": "tab", "csv": "comma"}
_BLANK = "blank line (only the end of a file may have blank lines)"


def column_name(column: Column) -> str:
    """How messages name a column: `column 'label'`, or `field 3` (1-based) for an index."""
    return f"column {column!r}" if isinstance(column, str) else f"field {column + 1}"


def guess_format(path: PathLike) -> str:
    """Returns "tsv", "csv" or "jsonl" from the file extension.

    Raises:
        DataError: the extension is none of .tsv, .csv, .jsonl.
    """
    extension = os.path.splitext(os.fspath(path))[1].lower()
    if extension not in _EXTENSIONS:
        raise DataError(path, None, f"cannot tell the format from the extension {extension!r}: "
                                    "pass file_format='tsv', 'csv' or 'jsonl'")
    return _EXTENSIONS[extension]


def read_columns(
    path: PathLike,
    columns: Sequence[Column],
    *,
    file_format: str | None = None,
    header: bool = True,
    min_fields: int | None = None,
) -> list[Record]:
    """Returns, for each data line, its line number and the values of `columns`, in that order.

    Args:
        path: the file.
        columns: header names (or JSON keys), or 0-based field indices (TSV/CSV).
        file_format: "tsv", "csv" or "jsonl"; by default from the extension.
        header: whether the first TSV/CSV line names the columns.
        min_fields: TSV/CSV lines may have more fields than this (the extra ones are ignored);
            by default every line has as many fields as the header (or the first line).

    Blank lines at the end of the file are ignored; a blank line between records is an error.

    Raises:
        DataError: naming file, line and problem: empty file, missing column, wrong field count,
            blank line, malformed CSV or JSON.
    """
    file_format = file_format or guess_format(path)
    if file_format == "jsonl":
        return _read_jsonl(path, columns)
    if file_format not in _SEPARATOR_NAMES:
        raise ValueError(f"file_format must be 'tsv', 'csv' or 'jsonl', got {file_format!r}")
    rows = _delimited_rows(path, file_format)
    first_data = 0
    if header:
        first_data = 1
        names = [name.strip() for name in rows[0][1]]
        indices = [_header_index(path, names, column) for column in columns]
        width = len(names)
    else:
        named = [c for c in columns if isinstance(c, str)]
        if named:
            raise ValueError(f"column names {named} need a header line: pass field indices")
        indices = list(columns)
        width = len(rows[0][1])
    if min_fields is not None:
        width = min_fields
    needed = max((i if i >= 0 else -i - 1) for i in indices) + 1 if indices else 0
    separator = _SEPARATOR_NAMES[file_format]
    records = []
    for line, fields in rows[first_data:]:
        count = len(fields)
        if count != width and (min_fields is None or count < min_fields):
            at_least = "at least " if min_fields is not None else ""
            raise DataError(path, line, f"expected {at_least}{width} {separator}-separated "
                                        f"fields, found {count}")
        if count < needed:
            raise DataError(path, line, f"expected at least {needed} {separator}-separated "
                                        f"fields, found {count}")
        records.append((line, [fields[i] for i in indices]))
    if not records:
        raise DataError(path, None, "no data lines after the header")
    return records


def _header_index(path: PathLike, names: list[str], column: Column) -> int:
    if not isinstance(column, str):
        return column
    count = names.count(column)
    if count == 0:
        raise DataError(path, 1, f"missing column {column!r} (header columns: "
                                 f"{_shortened(names)})")
    if count > 1:
        raise DataError(path, 1, f"column {column!r} appears {count} times in the header")
    return names.index(column)


def _shortened(names: list[str], most: int = 10, width: int = 30) -> str:
    """The first column names of a header, each cut to `width` characters, for a message."""
    shown = [name if len(name) <= width else name[:width] + "..." for name in names[:most]]
    more = f", ... ({len(names)} columns)" if len(names) > most else ""
    return ", ".join(shown) + more


def _delimited_rows(path: PathLike, file_format: str) -> list[tuple[int, list[str]]]:
    """(line, fields) of every TSV/CSV record, [] for blank lines; trailing blanks removed."""
    if file_format == "tsv":
        rows = [(n, line.split("\t") if line.strip() else [])
                for n, line in enumerate(read_lines(path), start=1)]
    else:
        reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
        rows, start = [], 1
        try:
            for fields in reader:
                rows.append((start, fields if any(f.strip() for f in fields) else []))
                start = reader.line_num + 1
        except csv.Error as e:
            raise DataError(path, start, f"malformed CSV: {e}") from None
    while rows and not rows[-1][1]:
        rows.pop()
    if not rows:
        raise DataError(path, None, "empty file")
    for line, fields in rows:
        if not fields:
            raise DataError(path, line, _BLANK)
    return rows


def _read_jsonl(path: PathLike, columns: Sequence[Column]) -> list[Record]:
    keys = [c for c in columns if not isinstance(c, str)]
    if keys:
        raise ValueError(f"JSON Lines columns are keys (str), got {keys}")
    lines = read_lines(path)
    while not lines[-1].strip():
        lines.pop()
    records = []
    for n, text in enumerate(lines, start=1):
        if not text.strip():
            raise DataError(path, n, _BLANK)
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(path, n, f"invalid JSON: {e.msg} (column {e.colno})") from None
        if not isinstance(obj, dict):
            raise DataError(path, n, f"expected a JSON object, found {type(obj).__name__}")
        missing = [c for c in columns if c not in obj]
        if missing:
            raise DataError(path, n, f"missing key {missing[0]!r} (keys: {', '.join(obj)})")
        records.append((n, [obj[c] for c in columns]))
    return records
