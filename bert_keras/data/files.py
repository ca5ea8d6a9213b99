"""The error type of every reader, and line-exact reading of UTF-8 text files.

Example:
    >>> str(DataError("train.tsv", 7, "expected 2 tab-separated fields, found 3"))
    'train.tsv:7: expected 2 tab-separated fields, found 3'
"""

from __future__ import annotations

import os

from bert_keras import storage

PathLike = str | os.PathLike


class DataError(ValueError):
    """A problem in a data file, located by file and line (or JSON path) where one is known.

    Attributes:
        path: the file.
        line: 1-based line number, or None when the problem concerns the whole file.
        problem: what is wrong, in words.
    """

    def __init__(self, path: PathLike, line: int | None, problem: str):
        self.path = os.fspath(path)
        self.line = line
        self.problem = problem
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {problem}")


def read_text(path: PathLike) -> str:
    """Returns the content of a UTF-8 file, a leading BOM dropped.

    Raises:
        FileNotFoundError: no such file.
        DataError: the file is empty (or only whitespace) or not valid UTF-8 (naming the line of
            the bad bytes).
    """
    raw = storage.read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(path, line, f"not valid UTF-8 ({e.reason} at byte {e.start})") from None
    if not text.strip():
        raise DataError(path, None, "empty file")
    return text


def read_lines(path: PathLike) -> list[str]:
    """Returns the lines of a UTF-8 file (see `read_text`) without their `\\n` / `\\r\\n`.

    Only `\\n` ends a line: characters such as U+0085 or U+2028 that occur inside real sentences
    stay in their line. A final line terminator does not make an extra empty line. A file whose
    lines end with a bare `\\r` (classic Mac OS) is refused: read by `\\n`, it would be one line.
    """
    text = read_text(path)
    first = text.split("\n", 1)[0].rstrip("\r")
    if "\r" in first:
        raise DataError(path, 1, "lines end with a bare carriage return (\\r, classic Mac OS); "
                                 "save the file with \\n line endings")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]
