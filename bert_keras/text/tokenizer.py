"""`BertTokenizer`: text to WordPiece ids in the graph, matching Google's BERT tokenization
(`tokenization.py`, the code the published vocabularies and checkpoints were made with) on
every code point.

Basic tokenization (`bert_keras.text.basic`) splits and normalizes words with core TensorFlow ops
and the tf-text ops that stock TF Serving links in; `FastWordpieceTokenizeWithOffsets` then splits
each word into pieces, and words over `max_chars_per_word` characters become `[UNK]`. Offsets are
mapped back to the original string by normalizing every character on its own.
"""

from __future__ import annotations

import os
from typing import Any

import keras
import tensorflow as tf
import tensorflow_text as tf_text

from bert_keras.text.basic import BasicTokenizer
from bert_keras.text.vocab import SPECIAL_TOKENS, Vocabulary, load_vocabulary, special_token_ids

# The reference WordpieceTokenizer's `max_input_chars_per_word`.
MAX_CHARS_PER_WORD = 200
_MAX_UTF8_BYTES_PER_CHAR = 4


@keras.saving.register_keras_serializable(package="bert_keras")
class BertTokenizer(keras.layers.Layer):
    """WordPiece tokenizer for BERT as a Keras layer (tf-text, SavedModel/TF Serving safe).

    Args:
        vocabulary: path of a `vocab.txt` (one token per line, id = line number) or a token list.
            It must contain `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]` and `[MASK]`.
        lowercase: True for uncased models (lowercase and strip accents), False for cased ones.
        max_chars_per_word: longer words (after normalization) become `[UNK]`.
        strip_accents: None (default) strips accents exactly when lowercasing, as Google does;
            True or False decides apart from `lowercase` (Hugging Face's `strip_accents`).
        tokenize_chinese_chars: True (default) makes every CJK ideograph its own word; False
            keeps them inside words (Hugging Face's `tokenize_chinese_chars`).
        special_tokens_in_text: False (default) splits a literal `[MASK]` or `[SEP]` in the
            text like any other word, as Google does; True keeps `[PAD]`, `[UNK]`, `[CLS]`,
            `[SEP]` and `[MASK]` written in the text as their single ids, wherever they stand
            and unnormalized (Hugging Face's special-token handling).
        preserve_unused_tokens: True keeps `[unusedN]` in the normalized text as one token
            (tf-text's `preserve_unused_token`), for vocabularies that give them meaning.

    Called on a `[batch]` string tensor, returns a `tf.RaggedTensor` `[batch, (tokens)]` of int32
    ids without `[CLS]`/`[SEP]`. `tokenize_with_offsets` also returns byte offsets.

    By default input text is only ever text: a literal `[MASK]` in it is split like any other
    word, as in Google's `tokenization.py` (see `special_tokens_in_text`). Every option uses
    the same ops, all of which stock TF Serving has.

    Example:
        >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "!"]
        >>> tokenizer = BertTokenizer(vocab, lowercase=True)
        >>> tokenizer(tf.constant(["Hello worlds!"])).to_list()
        [[5, 6, 7, 8]]
        >>> tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id
        (2, 3, 0)
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        lowercase: bool = True,
        max_chars_per_word: int = MAX_CHARS_PER_WORD,
        strip_accents: bool | None = None,
        tokenize_chinese_chars: bool = True,
        special_tokens_in_text: bool = False,
        preserve_unused_tokens: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        for name, value in (("lowercase", lowercase),
                            ("tokenize_chinese_chars", tokenize_chinese_chars),
                            ("special_tokens_in_text", special_tokens_in_text),
                            ("preserve_unused_tokens", preserve_unused_tokens)):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False, got {value!r}")
        if strip_accents is not None and not isinstance(strip_accents, bool):
            raise ValueError(f"strip_accents must be None, True or False, got {strip_accents!r}")
        if (
            isinstance(max_chars_per_word, bool)
            or not isinstance(max_chars_per_word, int)
            or max_chars_per_word < 1
        ):
            raise ValueError(
                f"max_chars_per_word must be a positive int, got {max_chars_per_word!r}"
            )
        is_path = isinstance(vocabulary, (str, os.PathLike))
        source = os.fspath(vocabulary) if is_path else "given as a list"
        self.vocabulary = load_vocabulary(vocabulary)
        self.special_token_ids = special_token_ids(self.vocabulary, source)
        self.lowercase = lowercase
        self.max_chars_per_word = max_chars_per_word
        self.strip_accents = strip_accents
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.special_tokens_in_text = special_tokens_in_text
        self.preserve_unused_tokens = preserve_unused_tokens
        self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id = (
            self.special_token_ids[token] for token in SPECIAL_TOKENS
        )
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=self.vocabulary,
            suffix_indicator="##",
            max_bytes_per_word=max_chars_per_word * _MAX_UTF8_BYTES_PER_CHAR,
            token_out_type=tf.int32,
            unknown_token="[UNK]",
            no_pretokenization=True,
        )
        self._basic = BasicTokenizer(
            lowercase, strip_accents=strip_accents, tokenize_chinese_chars=tokenize_chinese_chars,
            special_tokens=SPECIAL_TOKENS if special_tokens_in_text else (),
            preserve_unused_tokens=preserve_unused_tokens)
        # Keras must not convert string inputs; there are no weights to build.
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.built = True

    @property
    def vocabulary_size(self) -> int:
        """Number of tokens in the vocabulary."""
        return len(self.vocabulary)

    def call(self, inputs: tf.Tensor) -> tf.RaggedTensor:
        """Tokenizes a `[batch]` (or scalar) string tensor into int32 ids `[batch, (tokens)]`."""
        return self._tokenize(inputs, with_offsets=False)[0]

    def tokenize_with_offsets(
        self, inputs: tf.Tensor, word_starts: bool = False
    ) -> tuple[tf.RaggedTensor, ...]:
        """Returns `(ids, starts, ends)`: int32 ids and int64 byte offsets into each input string.

        With `word_starts=True`, also a bool `[batch, (tokens)]` that is True at the first
        sub-word of each word of the basic tokenization (whitespace and punctuation split).

        `inputs[i][starts[i, j]:ends[i, j]]` is the original text of token `j`; normalized, it
        equals the token (without `##`), except for `[UNK]` and for tokens that are only part of
        one character (e.g. the jamo of a Hangul syllable), which span that character.

        Example:
            >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cafe", "##s"]
            >>> ids, starts, ends = BertTokenizer(vocab).tokenize_with_offsets(["Cafés"])
            >>> ids.to_list(), starts.to_list(), ends.to_list()
            ([[5, 6]], [[0, 5]], [[5, 6]])
            >>> BertTokenizer(vocab).tokenize_with_offsets(["Cafés cafe"], True)[3].to_list()
            [[True, False, True]]
        """
        tokens = self._tokenize(inputs, with_offsets=True)
        return tokens if word_starts else tokens[:3]

    def _tokenize(self, inputs: tf.Tensor, with_offsets: bool) -> tuple[tf.RaggedTensor, ...]:
        """`(ids,)` or `(ids, starts, ends, word_starts)` for a `[batch]` or scalar string
        tensor."""
        text = tf.convert_to_tensor(inputs, dtype=tf.string)
        if text.shape.rank == 0:
            return tuple(r[0] for r in self._tokenize(tf.expand_dims(text, 0), with_offsets))
        if text.shape.rank != 1:
            raise ValueError(
                f"BertTokenizer expects a [batch] string tensor, got shape {text.shape}"
            )

        # Basic tokenization: pieces (offsets into the input) -> words (offsets into the piece).
        pieces, piece_starts = self._basic.pieces(text)
        flat_pieces = pieces.flat_values
        words, word_starts = self._basic.split_punctuation(self._basic.normalize(flat_pieces))
        # WordPiece (offsets into the word), long words -> [UNK].
        ids, starts, ends = self._wordpiece_with_offsets(words.flat_values)

        def regroup(values: tf.Tensor) -> tf.RaggedTensor:
            by_word = ids.with_flat_values(values)
            by_piece = tf.RaggedTensor.from_row_splits(by_word, words.row_splits, validate=False)
            by_text = tf.RaggedTensor.from_row_splits(by_piece, pieces.row_splits, validate=False)
            return by_text.merge_dims(1, 3)

        if not with_offsets:
            return (regroup(ids.flat_values),)
        word_of_token = ids.value_rowids()
        piece_of_token = tf.gather(words.value_rowids(), word_of_token)
        word_offset = tf.gather(word_starts.flat_values, word_of_token)
        norm_starts = starts.flat_values + word_offset
        norm_ends = ends.flat_values + word_offset
        # Offsets in the normalized piece -> offsets in the input string.
        orig_starts, orig_ends = self._map_offsets(
            flat_pieces, piece_of_token, norm_starts, norm_ends
        )
        orig_starts += tf.gather(piece_starts.flat_values, piece_of_token)
        orig_ends += tf.gather(piece_starts.flat_values, piece_of_token)
        first_of_word = tf.equal(tf.range(tf.size(ids.flat_values, tf.int64)),
                                 tf.gather(ids.row_splits, word_of_token))
        return (regroup(ids.flat_values), regroup(orig_starts), regroup(orig_ends),
                regroup(first_of_word))

    def _wordpiece_with_offsets(
        self, words: tf.Tensor
    ) -> tuple[tf.RaggedTensor, tf.RaggedTensor, tf.RaggedTensor]:
        """WordPiece of a flat word tensor; words over `max_chars_per_word` chars give `[UNK]`."""
        ids, starts, ends = self._wordpiece.tokenize_with_offsets(words)
        too_long = tf.strings.length(words, unit="UTF8_CHAR") > self.max_chars_per_word
        keep = ids.with_flat_values(tf.repeat(~too_long, ids.row_lengths()))
        num_long = tf.reduce_sum(tf.cast(too_long, tf.int32))
        long_rows = tf.cast(too_long, tf.int64)

        def replace(values: tf.RaggedTensor, long_value: tf.Tensor) -> tf.RaggedTensor:
            unk = tf.RaggedTensor.from_row_lengths(long_value, long_rows, validate=False)
            return tf.concat([tf.ragged.boolean_mask(values, keep), unk], axis=1)

        long_lengths = tf.boolean_mask(tf.strings.length(words), too_long)
        return (
            replace(ids, tf.fill([num_long], tf.constant(self.unk_id, tf.int32))),
            replace(starts, tf.zeros([num_long], tf.int64)),
            replace(ends, tf.cast(long_lengths, tf.int64)),
        )

    def _map_offsets(
        self,
        pieces: tf.Tensor,
        piece_of_token: tf.Tensor,
        norm_starts: tf.Tensor,
        norm_ends: tf.Tensor,
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Maps byte offsets in normalized pieces to byte offsets in the original pieces.

        Printable-ASCII pieces only change case, so their offsets stay; the others go through
        `_map_offsets_by_char`.
        """
        changed = ~tf.strings.regex_full_match(pieces, "[ -~]*")
        token_changed = tf.gather(changed, piece_of_token)
        changed_index = tf.cumsum(tf.cast(changed, tf.int64)) - 1
        where_changed = tf.where(token_changed)
        starts, ends = self._map_offsets_by_char(
            tf.boolean_mask(pieces, changed),
            tf.boolean_mask(tf.gather(changed_index, piece_of_token), token_changed),
            tf.boolean_mask(norm_starts, token_changed),
            tf.boolean_mask(norm_ends, token_changed),
        )
        return (
            tf.tensor_scatter_nd_update(norm_starts, where_changed, starts),
            tf.tensor_scatter_nd_update(norm_ends, where_changed, ends),
        )

    def _map_offsets_by_char(
        self,
        pieces: tf.Tensor,
        piece_of_token: tf.Tensor,
        norm_starts: tf.Tensor,
        norm_ends: tf.Tensor,
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Offset mapping by normalizing every character of the pieces on its own.

        Every character is normalized on its own; the running sum of those lengths tells which
        original character produced each normalized byte. Where normalization merges characters
        (NFC composition, e.g. `e` + U+0301), the whole cluster (a character with the combining
        characters after it) counts as one unit. Characters that normalize to nothing (control
        characters, stripped accents) join the token before them. A token that is only part of
        one character's normalization (e.g. a Hangul jamo) gets that whole character's span.
        """
        clusters, cluster_starts, _ = tf_text.regex_split_with_offsets(
            pieces, self._basic.cluster_regex, self._basic.cluster_regex
        )
        flat_clusters = clusters.flat_values
        chars, starts_in_cluster = tf.strings.unicode_split_with_offsets(flat_clusters, "UTF-8")
        char_cluster = chars.value_rowids()
        char_norm = tf.cast(tf.strings.length(self._basic.normalize(chars.flat_values)), tf.int64)
        cluster_norm = tf.cast(tf.strings.length(self._basic.normalize(flat_clusters)), tf.int64)
        per_char_sum = tf.math.unsorted_segment_sum(char_norm, char_cluster, chars.nrows())
        separable = tf.gather(tf.equal(per_char_sum, cluster_norm), char_cluster)
        cluster_length_on_first = tf.where(
            tf.equal(starts_in_cluster.flat_values, 0),
            tf.gather(cluster_norm, char_cluster),
            tf.zeros_like(char_norm),
        )
        char_lengths = tf.where(separable, char_norm, cluster_length_on_first)
        char_piece = tf.gather(clusters.value_rowids(), char_cluster)
        cluster_start = tf.gather(cluster_starts.flat_values, char_cluster)
        char_starts = cluster_start + starts_in_cluster.flat_values
        char_ends = char_starts + tf.cast(tf.strings.length(chars.flat_values), tf.int64)
        num_pieces = tf.size(pieces, tf.int64)
        piece_lengths = tf.math.unsorted_segment_sum(char_lengths, char_piece, num_pieces)
        piece_chars = tf.math.unsorted_segment_sum(tf.ones_like(char_piece), char_piece, num_pieces)
        # Global, nondecreasing positions; a gap of one between pieces keeps searches inside one.
        char_position = tf.cumsum(char_lengths) + char_piece
        piece_base = tf.cumsum(piece_lengths, exclusive=True) + tf.range(num_pieces)
        base = tf.gather(piece_base, piece_of_token)
        length = tf.gather(piece_lengths, piece_of_token)
        start = base + tf.minimum(norm_starts, tf.maximum(length - 1, 0))
        end = base + tf.minimum(norm_ends, length)
        first_char = tf.gather(tf.cumsum(piece_chars, exclusive=True), piece_of_token)
        start_char = tf.searchsorted(char_position, start, side="right", out_type=tf.int64)
        end_char = tf.searchsorted(char_position, end, side="right", out_type=tf.int64) - 1
        start_char = tf.maximum(start_char, first_char)
        end_char = tf.maximum(end_char, start_char)
        return tf.gather(char_starts, start_char), tf.gather(char_ends, end_char)

    def options(self) -> dict[str, Any]:
        """The settings besides the vocabulary and casing (what a run directory records).

        Example:
            >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
            >>> BertTokenizer(vocab, strip_accents=False).options()["strip_accents"]
            False
        """
        return {"max_chars_per_word": self.max_chars_per_word,
                "strip_accents": self.strip_accents,
                "tokenize_chinese_chars": self.tokenize_chinese_chars,
                "special_tokens_in_text": self.special_tokens_in_text,
                "preserve_unused_tokens": self.preserve_unused_tokens}

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"vocabulary": list(self.vocabulary), "lowercase": self.lowercase,
                       **self.options()})
        return config


def char_offsets(text: tf.Tensor, byte_offsets: tf.RaggedTensor) -> tf.RaggedTensor:
    """Byte offsets into each UTF-8 string of `text` `[batch]` -> character (code point) offsets.

    `byte_offsets` `[batch, (n)]` must lie on character boundaries (as the tokenizer's do); an
    offset at the end of a string maps to its length in characters.

    Example:
        >>> char_offsets(tf.constant(["Ça va", "ok"]), tf.ragged.constant([[0, 3, 6], [2]],
        ...     dtype=tf.int64)).to_list()
        [[0, 2, 5], [2]]
    """
    chars, char_starts = tf.strings.unicode_split_with_offsets(text, "UTF-8")
    # One sorted axis for the whole batch: shift each string's offsets by the bytes before it.
    base = tf.cumsum(tf.cast(tf.strings.length(text), tf.int64), exclusive=True)
    starts = char_starts.flat_values + tf.gather(base, char_starts.value_rowids())
    offsets = byte_offsets.flat_values + tf.gather(base, byte_offsets.value_rowids())
    index = tf.searchsorted(starts, offsets, side="left", out_type=tf.int64)
    first_char = tf.gather(chars.row_splits, byte_offsets.value_rowids())
    return byte_offsets.with_flat_values(index - first_char)
