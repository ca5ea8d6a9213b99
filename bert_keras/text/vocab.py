"""Reading WordPiece vocabularies and finding BERT's special tokens in them.

Example:
    >>> tokens = load_vocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello"])
    >>> special_token_ids(tokens)["[CLS]"]
    2
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from bert_keras import storage

# BERT's special tokens in the order Google's vocabularies list them.
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

Vocabulary = str | os.PathLike | Sequence[str]


def load_vocabulary(vocabulary: Vocabulary) -> list[str]:
    """Returns the token list of a `vocab.txt` path (one token per line, id = line) or a list.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the vocabulary is empty or has duplicate tokens.
    """
    source = "the vocabulary list"
    if isinstance(vocabulary, (str, os.PathLike)):
        source = os.fspath(vocabulary)
        if not storage.isfile(source):
            raise FileNotFoundError(f"Vocabulary file not found: {source}")
        try:
            with storage.open_file(source, encoding="utf-8", newline="") as f:
                tokens = [line.rstrip("\r") for line in f.read().split("\n")]
        except UnicodeDecodeError as error:
            raise ValueError(f"Vocabulary file {source} is not UTF-8: {error}") from None
        if tokens and tokens[-1] == "":
            tokens.pop()
    else:
        bad_types = sorted({type(t).__name__ for t in vocabulary if not isinstance(t, str)})
        if bad_types:
            raise ValueError(f"Vocabulary entries must be str, got {', '.join(bad_types)}")
        tokens = list(vocabulary)
    if not tokens:
        raise ValueError(f"Vocabulary is empty: {source}")
    seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token in seen:
            raise ValueError(
                f"Duplicate token {token!r} in {source}: ids {seen[token]} and {index}"
            )
        seen[token] = index
    return tokens


def special_token_ids(tokens: Sequence[str], source: str = "the vocabulary") -> dict[str, int]:
    """Maps each of `SPECIAL_TOKENS` to its id in `tokens`.

    Raises:
        ValueError: naming every missing special token and `source`.
    """
    index = {token: i for i, token in enumerate(tokens)}
    missing = [token for token in SPECIAL_TOKENS if token not in index]
    if missing:
        raise ValueError(
            f"Vocabulary {source} lacks the special token(s) {', '.join(missing)}; "
            f"a BERT vocabulary must contain all of {', '.join(SPECIAL_TOKENS)}"
        )
    return {token: index[token] for token in SPECIAL_TOKENS}
