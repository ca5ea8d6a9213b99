"""Masked-LM masking in the graph, for dynamic masking in `tf.data` (a new mask every time a
sequence is seen, as in RoBERTa) with the reference 80/10/10 recipe.

`MaskedLMMasker` works on packed batches `[batch, seq]` of token ids. In each row it picks
`min(max_predictions, max(1, round(maskable * masked_lm_prob)))` of the maskable tokens (all but
`[CLS]`, `[SEP]` and `[PAD]`) in a random order; of those, 80% become `[MASK]`, 10% a random
vocabulary id and 10% stay as they are. With `whole_word=True` a `##` piece is masked together
with the word it continues: words are taken in random order while they fit in the budget
(google-research/bert skips a word that does not fit and tries the next ones; here the first
word that does not fit ends the selection, so a row may get a few tokens fewer).

Randomness is stateless: the same `seed` gives the same masks, so a resumed run sees the
masks the crashed run would have seen.

Example:
    >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "##c"]
    >>> masker = MaskedLMMasker(vocab, masked_lm_prob=0.5, max_predictions=2)
    >>> out = masker(tf.constant([[2, 5, 6, 7, 3, 0]]), seed=tf.constant([1, 2]))
    >>> out["masked_lm_weights"].numpy().tolist()
    [[1.0, 1.0]]
    >>> bool(tf.reduce_all(out["masked_lm_positions"] > 0))  # never [CLS] (position 0)
    True
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from bert_keras.text.vocab import SPECIAL_TOKENS, Vocabulary, load_vocabulary, special_token_ids


class MaskedLMMasker:
    """Draws masked-LM targets for batches of packed token ids (see the module docstring).

    Returns a dict: `input_word_ids` (masked), `masked_lm_positions`, `masked_lm_ids` (the
    original tokens there) `[batch, max_predictions]` int32 and `masked_lm_weights` float32
    (1 for a prediction, 0 for padding).
    """

    def __init__(self, vocabulary: Vocabulary, masked_lm_prob: float = 0.15,
                 max_predictions: int = 20, whole_word: bool = False,
                 mask_token_prob: float = 0.8, random_token_prob: float = 0.1):
        if not 0.0 < masked_lm_prob <= 1.0:
            raise ValueError(f"masked_lm_prob must be in (0, 1], got {masked_lm_prob}")
        if max_predictions < 1:
            raise ValueError(f"max_predictions must be >= 1, got {max_predictions}")
        if not (0.0 <= mask_token_prob and 0.0 <= random_token_prob
                and mask_token_prob + random_token_prob <= 1.0):
            raise ValueError("mask_token_prob and random_token_prob must be >= 0 and sum to "
                             f"<= 1, got {mask_token_prob} and {random_token_prob}")
        tokens = load_vocabulary(vocabulary)
        ids = special_token_ids(tokens)
        self.vocab_size = len(tokens)
        self.mask_id = ids["[MASK]"]
        self.unmaskable_ids = tf.constant(
            [ids[token] for token in SPECIAL_TOKENS if token not in ("[UNK]", "[MASK]")],
            tf.int32)
        self.masked_lm_prob = masked_lm_prob
        self.max_predictions = max_predictions
        self.whole_word = whole_word
        self.mask_token_prob = mask_token_prob
        self.random_token_prob = random_token_prob
        self.is_continuation = tf.constant([token.startswith("##") for token in tokens])

    def __call__(self, input_word_ids: tf.Tensor, seed: tf.Tensor | Sequence[int]
                 ) -> dict[str, tf.Tensor]:
        ids = tf.convert_to_tensor(input_word_ids, tf.int32)
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
        maskable = tf.reduce_all(ids[:, :, None] != self.unmaskable_ids, axis=-1)
        chosen = self._choose(ids, maskable, seeds[0])
        masked = self._replace(ids, chosen, seeds[1], seeds[2])
        return {"input_word_ids": masked, **self._targets(ids, chosen)}

    def _budget(self, maskable: tf.Tensor) -> tf.Tensor:
        count = tf.reduce_sum(tf.cast(maskable, tf.float32), axis=1)
        wanted = tf.maximum(1.0, tf.round(count * self.masked_lm_prob))
        return tf.cast(tf.minimum(wanted, float(self.max_predictions)), tf.int32)

    def _word_starts(self, ids: tf.Tensor, maskable: tf.Tensor) -> tf.Tensor:
        if not self.whole_word:
            return maskable
        continuation = tf.gather(self.is_continuation, ids)
        previous_maskable = tf.pad(maskable[:, :-1], [[0, 0], [1, 0]])
        return maskable & ~(continuation & previous_maskable)

    def _choose(self, ids: tf.Tensor, maskable: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """[batch, seq] bool: the positions to predict (whole words in a random order)."""
        batch, length = tf.shape(ids)[0], tf.shape(ids)[1]
        starts = self._word_starts(ids, maskable)
        # Number every word of the batch; non-maskable positions go to a spare word at the end.
        row_offset = tf.range(batch)[:, None] * length
        word = tf.cumsum(tf.cast(starts, tf.int32), axis=1) - 1 + row_offset
        spare = batch * length
        word = tf.where(maskable, word, spare)
        # One random score per word (taken at its first piece); non-maskable ones sort last.
        scores = tf.random.stateless_uniform(tf.shape(ids), seed=seed)
        word_score = tf.math.unsorted_segment_max(
            tf.where(starts, scores, -1.0), word, spare + 1)
        position_score = tf.where(maskable, tf.gather(word_score, word), 2.0)
        order = tf.argsort(position_score, axis=1, stable=True)  # a word's pieces stay together
        taken = tf.cumsum(tf.cast(tf.gather(maskable, order, batch_dims=1), tf.int32), axis=1)
        # A word is chosen when the count reaches no more than the budget at its last piece.
        taken_by_word = tf.math.unsorted_segment_max(
            taken, tf.gather(word, order, batch_dims=1), spare + 1)
        fits = tf.gather(taken_by_word, word) <= self._budget(maskable)[:, None]
        return maskable & fits

    def _replace(self, ids: tf.Tensor, chosen: tf.Tensor, seed: tf.Tensor,
                 random_seed: tf.Tensor) -> tf.Tensor:
        draw = tf.random.stateless_uniform(tf.shape(ids), seed=seed)
        random_ids = tf.random.stateless_uniform(tf.shape(ids), seed=random_seed, minval=0,
                                                 maxval=self.vocab_size, dtype=tf.int32)
        use_mask = chosen & (draw < self.mask_token_prob)
        use_random = chosen & (draw >= 1.0 - self.random_token_prob) & ~use_mask
        return tf.where(use_mask, self.mask_id, tf.where(use_random, random_ids, ids))

    def _targets(self, ids: tf.Tensor, chosen: tf.Tensor) -> dict[str, tf.Tensor]:
        length = tf.shape(ids)[1]
        # Chosen positions first, in ascending order; at most max_predictions are chosen.
        key = tf.where(chosen, 0, length) + tf.range(length)[None, :]
        k = tf.minimum(self.max_predictions, length)
        first = -tf.math.top_k(-key, k=k).values
        valid = first < length
        positions = tf.where(valid, first, 0)
        padding = [[0, 0], [0, self.max_predictions - k]]
        labels = tf.where(valid, tf.gather(ids, positions, batch_dims=1), 0)
        shape = [None, self.max_predictions]
        return {"masked_lm_positions": tf.ensure_shape(tf.pad(positions, padding), shape),
                "masked_lm_ids": tf.ensure_shape(tf.pad(labels, padding), shape),
                "masked_lm_weights": tf.ensure_shape(
                    tf.pad(tf.cast(valid, tf.float32), padding), shape)}
