"""RE2 character classes for the reference BERT basic-tokenization rules.

Google's `tokenization.py` (the reference; Hugging Face's slow `BertTokenizer` departs from it
in places) decides per character with Python's `unicodedata`. The classes here are computed
from the same rules and the same `unicodedata` tables, so the in-graph tokenizer agrees with the
reference character for character (RE2's own `\\p{...}` tables follow a different Unicode
version).

Example:
    >>> is_punctuation("$"), is_control("\\u200b"), cjk_class().startswith("[")
    (True, True, True)
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable

_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)

# CJK Unified Ideographs blocks, exactly as in the reference `_is_chinese_char`.
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def is_control(char: str) -> bool:
    """Characters that Google's `_clean_text` deletes: its `_is_control` (categories Cc and Cf,
    except tab, newline and carriage return) plus NUL and U+FFFD. Other "C*" code points
    (private use Co, unassigned Cn, surrogates Cs) are kept, as there; Hugging Face's
    tokenizers delete every "C*" category instead."""
    if char in "\t\n\r":
        return False
    return ord(char) in (0, 0xFFFD) or unicodedata.category(char) in ("Cc", "Cf")


def is_whitespace(char: str) -> bool:
    """Characters that separate words: reference `_is_whitespace` plus what `str.split` splits on.

    `_clean_text` deletes control characters first, so only non-control `str.isspace` characters
    (U+2028, U+2029) are added to the reference set (space, tab, newline, CR, category Zs).
    """
    if is_control(char):
        return False
    return char in " \t\n\r" or unicodedata.category(char) == "Zs" or char.isspace()


def is_punctuation(char: str) -> bool:
    """Reference `_is_punctuation`: all non-alphanumeric ASCII plus Unicode category P*."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_nonspacing_mark(char: str) -> bool:
    """Category Mn: what accent stripping removes after NFD."""
    return unicodedata.category(char) == "Mn"


@functools.lru_cache(maxsize=1)
def _composition_seconds() -> frozenset[int]:
    """Characters that NFC may merge into the character before them (second of a canonical pair)."""
    seconds = set()
    for cp in range(_MAX_CODE_POINT + 1):
        decomposition = unicodedata.decomposition(chr(cp)) if cp not in _SURROGATES else ""
        parts = decomposition.split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(int(parts[1], 16))
    return frozenset(seconds)


def is_attaching(char: str) -> bool:
    """Characters normalization may combine with the one before: combining marks, NFC seconds."""
    return unicodedata.combining(char) > 0 or ord(char) in _composition_seconds()


def _code_points(predicate: Callable[[str], bool]) -> Iterable[int]:
    for cp in range(_MAX_CODE_POINT + 1):
        if cp not in _SURROGATES and predicate(chr(cp)):
            yield cp


def _ranges(code_points: Iterable[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for cp in code_points:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def _re2_class(ranges: Iterable[tuple[int, int]]) -> str:
    parts = [
        f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges
    ]
    return "[" + "".join(parts) + "]"


@functools.lru_cache(maxsize=None)
def _class_for(name: str) -> str:
    predicates = {
        "control": is_control,
        "whitespace": is_whitespace,
        "punctuation": is_punctuation,
        "nonspacing_mark": is_nonspacing_mark,
        "attaching": is_attaching,
    }
    return _re2_class(_ranges(_code_points(predicates[name])))


def control_class() -> str:
    """RE2 class of characters the reference deletes before tokenizing."""
    return _class_for("control")


def whitespace_class() -> str:
    """RE2 class of characters that separate words."""
    return _class_for("whitespace")


def punctuation_class() -> str:
    """RE2 class of characters split off as single-character words."""
    return _class_for("punctuation")


def nonspacing_mark_class() -> str:
    """RE2 class of combining marks removed by accent stripping."""
    return _class_for("nonspacing_mark")


def cluster_regex() -> str:
    """RE2 pattern matching a character with the attaching characters after it (or a run of them).

    Normalizing such clusters one by one gives the same text as normalizing the whole string
    (composition and reordering never cross them), which lets offsets map back exactly.
    """
    attaching = _class_for("attaching")
    return f"[^{attaching[1:-1]}]{attaching}*|{attaching}+"


def cjk_class() -> str:
    """RE2 class of CJK ideographs, each of which becomes its own word."""
    return _re2_class(sorted(_CJK_RANGES))
