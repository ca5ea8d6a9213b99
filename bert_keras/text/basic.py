"""BERT's "basic tokenization" (text -> normalized words) with servable TensorFlow ops.

Follows the reference `BasicTokenizer` step by step:

1. split the text on whitespace, with every CJK ideograph its own piece (`RegexSplitWithOffsets`);
2. normalize each piece: delete control characters, then lowercase + NFD + strip accents (uncased)
   or NFC (cased) (`StaticRegexReplace`, `StringLower`, `NormalizeUTF8`);
3. split the normalized pieces on punctuation (`RegexSplitWithOffsets`).

Example:
    >>> BasicTokenizer(lowercase=True).words(tf.constant(["Héllo, 世界!"])).to_list()
    [[b'hello', b',', b'\\xe4\\xb8\\x96', b'\\xe7\\x95\\x8c', b'!']]
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_text as tf_text

from bert_keras.text import char_classes


def _union(*classes: str) -> str:
    return "[" + "".join(c[1:-1] for c in classes) + "]"


class BasicTokenizer:
    """Splits `[batch]` strings into normalized words exactly like the reference BERT rules.

    Args:
        lowercase: True for uncased models (lowercase and strip accents), False for cased ones.
    """

    def __init__(self, lowercase: bool) -> None:
        self.lowercase = lowercase
        cjk = char_classes.cjk_class()
        whitespace = char_classes.whitespace_class()
        self._control = char_classes.control_class()
        self._marks = char_classes.nonspacing_mark_class()
        self._cjk = cjk
        self._piece_delimiters = _union(whitespace, cjk)
        self._punctuation = char_classes.punctuation_class()
        self._word_delimiters = _union(whitespace, self._punctuation)
        self.cluster_regex = char_classes.cluster_regex()

    def pieces(self, text: tf.Tensor) -> tuple[tf.RaggedTensor, tf.RaggedTensor]:
        """Whitespace-separated pieces (CJK ideographs split off) and their byte starts."""
        # Some tf-text kernels stop at NUL; U+0001 is deleted just the same and keeps the offsets.
        text = tf.strings.regex_replace(text, r"\x00", "\x01")
        pieces, starts, _ = tf_text.regex_split_with_offsets(
            text, self._piece_delimiters, self._cjk
        )
        return pieces, starts

    def normalize(self, strings: tf.Tensor) -> tf.Tensor:
        """Reference normalization of whitespace-free strings: control chars out, case/accents."""
        strings = tf.strings.regex_replace(strings, self._control, "")
        if not self.lowercase:
            return tf_text.normalize_utf8(strings, "NFC")
        strings = tf.strings.lower(strings, encoding="utf-8")
        strings = tf_text.normalize_utf8(strings, "NFD")
        return tf.strings.regex_replace(strings, self._marks, "")

    def split_punctuation(self, normalized: tf.Tensor) -> tuple[tf.RaggedTensor, tf.RaggedTensor]:
        """Words of normalized pieces (punctuation split off) and their byte starts."""
        words, starts, _ = tf_text.regex_split_with_offsets(
            normalized, self._word_delimiters, self._punctuation
        )
        return words, starts

    def words(self, text: tf.Tensor) -> tf.RaggedTensor:
        """Normalized words `[batch, (words)]` of a `[batch]` string tensor."""
        pieces, _ = self.pieces(text)
        words, _ = self.split_punctuation(self.normalize(pieces.flat_values))
        by_text = tf.RaggedTensor.from_row_splits(words, pieces.row_splits, validate=False)
        return by_text.merge_dims(1, 2)
