"""BERT's "basic tokenization" (text -> normalized words) with servable TensorFlow ops.

Follows Google's `BasicTokenizer` (`tokenization.py`) step by step:

1. split the text on whitespace, with every CJK ideograph its own piece (`RegexSplitWithOffsets`);
2. normalize each piece: delete control characters, then lowercase + NFD + strip accents
   (uncased); cased text is not normalized (`StaticRegexReplace`, `StringLower`,
   `NormalizeUTF8`);
3. split the normalized pieces on punctuation (`RegexSplitWithOffsets`).

Options that other tokenizers have, off by default (Google's behaviour): accent stripping apart
from lowercasing and CJK splitting switched off (Hugging Face's `strip_accents`,
`tokenize_chinese_chars`), special tokens written in the text kept whole (Hugging Face) and
`[unusedN]` kept whole after normalization (tf-text's `preserve_unused_token`).

Example:
    >>> BasicTokenizer(lowercase=True).words(tf.constant(["Héllo, 世界!"])).to_list()
    [[b'hello', b',', b'\\xe4\\xb8\\x96', b'\\xe7\\x95\\x8c', b'!']]
    >>> BasicTokenizer(lowercase=True, special_tokens=("[MASK]",)).words(
    ...     tf.constant(["A [MASK]!"])).to_list()
    [[b'a', b'[MASK]', b'!']]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import tensorflow as tf
import tensorflow_text as tf_text

from bert_keras.text import char_classes

# tf-text's `preserve_unused_token` pattern, matched on normalized text.
UNUSED_TOKEN_REGEX = r"\[unused\d+\]"


def _union(*classes: str) -> str:
    return "[" + "".join(c[1:-1] for c in classes) + "]"


def _either(*patterns: str) -> str:
    return "|".join(pattern for pattern in patterns if pattern)


class BasicTokenizer:
    """Splits `[batch]` strings into normalized words exactly like Google's BERT rules.

    Args:
        lowercase: True for uncased models (lowercase and strip accents), False for cased ones.
        strip_accents: None follows `lowercase` (Google); True or False strips accents (NFD,
            then no combining marks) or keeps them whatever `lowercase` says (Hugging Face).
        tokenize_chinese_chars: every CJK ideograph its own word (Google, Hugging Face's
            default); False leaves them inside words.
        special_tokens: strings that stay single words wherever they are written in the text,
            neither normalized nor split (Hugging Face keeps its special tokens so).
        preserve_unused_tokens: `[unusedN]` in the normalized text stays a single word (tf-text's
            `preserve_unused_token`).
    """

    def __init__(self, lowercase: bool, strip_accents: bool | None = None,
                 tokenize_chinese_chars: bool = True, special_tokens: Sequence[str] = (),
                 preserve_unused_tokens: bool = False) -> None:
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        whitespace = char_classes.whitespace_class()
        self._control = char_classes.control_class()
        self._marks = char_classes.nonspacing_mark_class()
        self._special = _either(*(re.escape(token) for token in special_tokens))
        kept_words = _either(self._special,
                             UNUSED_TOKEN_REGEX if preserve_unused_tokens else "")
        cjk = char_classes.cjk_class() if tokenize_chinese_chars else ""
        self._piece_delimiters = _either(self._special,
                                         _union(whitespace, cjk) if cjk else whitespace)
        self._piece_kept = _either(self._special, cjk)
        self._punctuation = char_classes.punctuation_class()
        self._word_delimiters = _either(kept_words, _union(whitespace, self._punctuation))
        self._word_kept = _either(kept_words, self._punctuation)
        self.cluster_regex = char_classes.cluster_regex()

    def pieces(self, text: tf.Tensor) -> tuple[tf.RaggedTensor, tf.RaggedTensor]:
        """Whitespace-separated pieces (CJK ideographs and special tokens split off) and their
        byte starts."""
        # Some tf-text kernels stop at NUL; U+0001 is deleted just the same and keeps the offsets.
        text = tf.strings.regex_replace(text, r"\x00", "\x01")
        pieces, starts, _ = tf_text.regex_split_with_offsets(
            text, self._piece_delimiters, self._piece_kept
        )
        return pieces, starts

    def normalize(self, strings: tf.Tensor) -> tf.Tensor:
        """Google's normalization of whitespace-free strings: control characters out, then
        lowercase and strip accents as configured. Special tokens stay as they are."""
        normalized = tf.strings.regex_replace(strings, self._control, "")
        if self.lowercase:
            normalized = tf.strings.lower(normalized, encoding="utf-8")
        if self.strip_accents:
            normalized = tf_text.normalize_utf8(normalized, "NFD")
            normalized = tf.strings.regex_replace(normalized, self._marks, "")
        if self._special:
            normalized = tf.where(tf.strings.regex_full_match(strings, self._special),
                                  strings, normalized)
        return normalized

    def split_punctuation(self, normalized: tf.Tensor) -> tuple[tf.RaggedTensor, tf.RaggedTensor]:
        """Words of normalized pieces (punctuation split off) and their byte starts."""
        words, starts, _ = tf_text.regex_split_with_offsets(
            normalized, self._word_delimiters, self._word_kept
        )
        return words, starts

    def words(self, text: tf.Tensor) -> tf.RaggedTensor:
        """Normalized words `[batch, (words)]` of a `[batch]` string tensor."""
        pieces, _ = self.pieces(text)
        words, _ = self.split_punctuation(self.normalize(pieces.flat_values))
        by_text = tf.RaggedTensor.from_row_splits(words, pieces.row_splits, validate=False)
        return by_text.merge_dims(1, 2)
