"""Training a WordPiece vocabulary from text files.

Words are split with the same basic tokenization as `BertTokenizer` (so the vocabulary fits the
tokenizer), counted, and handed to tensorflow-text's WordPiece learner. BERT's special tokens come
first, in Google's order.

Example:
    >>> vocab = build_vocabulary(["corpus.txt"], vocab_size=8000)  # doctest: +SKIP
    >>> vocab[:5]  # doctest: +SKIP
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Sequence

import tensorflow as tf
from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as learner

from bert_keras import storage
from bert_keras.text.basic import BasicTokenizer
from bert_keras.text.vocab import SPECIAL_TOKENS

Progress = Callable[[str], None]
_BATCH_LINES = 1024


def check_input_files(paths: Sequence[str | os.PathLike]) -> list[str]:
    """Returns the paths as strings; raises naming the first missing or empty file."""
    if not paths:
        raise ValueError("No input files given")
    checked = []
    for path in map(os.fspath, paths):
        if not storage.isfile(path):
            raise FileNotFoundError(f"Input file not found: {path}")
        if storage.getsize(path) == 0:
            raise ValueError(f"Input file is empty: {path}")
        checked.append(path)
    return checked


def count_words(
    paths: Sequence[str | os.PathLike], lowercase: bool, progress: Progress | None = None
) -> collections.Counter:
    """Counts the normalized words of every line of the files (UTF-8 text, one or more lines)."""
    paths = check_input_files(paths)
    splitter = BasicTokenizer(lowercase)
    counts: collections.Counter = collections.Counter()
    for path in paths:
        total_bytes, done_bytes, last_percent = storage.getsize(path), 0, -10
        lines = tf.data.TextLineDataset(path).batch(_BATCH_LINES)
        for batch in lines.map(lambda b: (splitter.words(b), tf.strings.length(b))):
            words, lengths = batch
            counts.update(words.flat_values.numpy())
            done_bytes += int(tf.reduce_sum(lengths)) + len(lengths)
            percent = min(100, 100 * done_bytes // total_bytes)
            if progress and percent >= last_percent + 10:
                progress(f"{path}: {percent}% read, {len(counts)} distinct words")
                last_percent = percent
    if not counts:
        raise ValueError(f"No words found in {', '.join(paths)}")
    return collections.Counter({word.decode("utf-8"): n for word, n in counts.items()})


def build_vocabulary(
    paths: Sequence[str | os.PathLike],
    vocab_size: int,
    lowercase: bool = True,
    progress: Progress | None = None,
) -> list[str]:
    """Learns a WordPiece vocabulary of at most `vocab_size` tokens from text files.

    The first tokens are `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`.
    """
    too_small = isinstance(vocab_size, int) and vocab_size <= len(SPECIAL_TOKENS)
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or too_small:
        raise ValueError(f"vocab_size must be an int > {len(SPECIAL_TOKENS)}, got {vocab_size!r}")
    counts = count_words(paths, lowercase, progress)
    if progress:
        progress(f"learning a {vocab_size}-token vocabulary from {len(counts)} distinct words")
    return learner.learn(counts, vocab_size, reserved_tokens=list(SPECIAL_TOKENS))


def write_vocabulary(tokens: Sequence[str], path: str | os.PathLike) -> None:
    """Writes one token per line (UTF-8, LF), the `vocab.txt` format."""
    with storage.open_file(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(f"{token}\n" for token in tokens))
