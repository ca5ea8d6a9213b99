"""Token classification (NER) on CoNLL-format files: CoNLL-2003 and alike, tags in IOB2.

Each word is WordPiece-tokenized in the `tf.data` graph; the word's tag goes on its first
sub-word (the rules of `bert_keras.tasks.tagging`, which serving follows too). Later sub-words,
`[CLS]`, `[SEP]` and padding get sample weight 0, so neither the loss nor the accuracy sees
them. Evaluation reads the prediction at each word's first sub-word back into word-level IOB2
tags and scores entities with seqeval.

Example:
    >>> recipe = TaggingRecipe()
    >>> recipe.name, recipe.monitor, recipe.mode
    ('conll2003', 'val_f1', 'max')
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from bert_keras.data import TaggedSentence, read_conll
from bert_keras.models import bert_tagger
from bert_keras.tasks.tagging import BEGIN, ENTITY_PREFIX, OUTSIDE, max_sub_words
from bert_keras.text import BertPacker, BertTokenizer
from bert_keras.training import metrics
from bert_keras.training.progress import tracked
from bert_keras.training.tasks.base import TaskData, find_data_file

# File names inside --data-dir: CoNLL-2003's own first, then generic ones.
TRAIN_FILES = ("eng.train", "train.txt")
DEV_FILES = ("eng.testa", "dev.txt")
EVAL_BATCH_SIZE = 64


@dataclasses.dataclass(frozen=True)
class TaggingExample:
    """The words of one sentence and their tag ids (indices into the task's label names)."""

    words: tuple[str, ...]
    tag_ids: tuple[int, ...]


def _examples(sentences: Sequence[TaggedSentence], label_names: Sequence[str]
              ) -> list[TaggingExample]:
    ids = {name: index for index, name in enumerate(label_names)}
    return [TaggingExample(tuple(s.words), tuple(ids[tag] for tag in s.tags)) for s in sentences]


def encode_words(words: tf.RaggedTensor, tag_ids: tf.RaggedTensor, tokenizer: BertTokenizer,
                 seq_length: int) -> tuple[dict[str, tf.Tensor], tf.Tensor, tf.Tensor,
                                           tf.RaggedTensor]:
    """Tokenizes words `[batch, (words)]` and aligns their tag ids with the sub-words.

    Returns `(inputs, labels, weights, positions)`: the encoder inputs padded to the longest
    row (at most `seq_length`), int32 labels and float32 weights `[batch, seq]` (the tag id and
    1.0 at each word's first sub-word, 0 elsewhere), and each word's first sub-word position
    `[batch, (words)]` (-1 for a word truncated away). A word with no sub-word (say, only
    characters that normalization removes) becomes `[UNK]`.

    Example:
        >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "new", "##york", "##er", "s"]
        >>> words = tf.ragged.constant([["Newyorker", "s"]])
        >>> inputs, labels, weights, positions = encode_words(
        ...     words, tf.ragged.constant([[1, 0]]), BertTokenizer(vocab), seq_length=8)
        >>> inputs["input_word_ids"].numpy().tolist(), labels.numpy().tolist()
        ([[2, 5, 6, 7, 8, 3]], [[0, 1, 0, 0, 0, 0]])
        >>> weights.numpy().tolist(), positions.to_list()
        ([[0.0, 1.0, 0.0, 0.0, 1.0, 0.0]], [[1, 4]])
    """
    if max_sub_words(seq_length) < 1:
        raise ValueError(f"seq_length must be at least 3 ([CLS], a word, [SEP]), got {seq_length}")
    pieces = tokenizer(words.flat_values)  # [words in the batch, (sub-words)]
    empty = pieces.row_lengths() == 0
    unk = tf.RaggedTensor.from_row_lengths(
        tf.fill([tf.reduce_sum(tf.cast(empty, tf.int32))], tf.constant(tokenizer.unk_id, tf.int32)),
        tf.cast(empty, tf.int64), validate=False)
    pieces = tf.concat([pieces, unk], axis=1)
    tokens = tf.RaggedTensor.from_row_splits(
        pieces.flat_values, tf.gather(pieces.row_splits, words.row_splits), validate=False)
    inputs = BertPacker.from_tokenizer(tokenizer, seq_length, pad_to="longest")(tokens)
    # Position of each word's first sub-word after [CLS]; [SEP] keeps the last place.
    sentence = words.value_rowids()
    position = pieces.row_splits[:-1] - tf.gather(tokens.row_splits, sentence) + 1
    kept = position <= max_sub_words(seq_length)
    indices = tf.stack([tf.boolean_mask(sentence, kept), tf.boolean_mask(position, kept)], axis=1)
    shape = tf.shape(inputs["input_word_ids"], out_type=tf.int64)
    labels = tf.scatter_nd(indices, tf.boolean_mask(tf.cast(tag_ids.flat_values, tf.int32), kept),
                           shape)
    weights = tf.scatter_nd(indices, tf.ones_like(indices[:, 0], tf.float32), shape)
    positions = words.with_flat_values(tf.cast(tf.where(kept, position, -1), tf.int32))
    return inputs, labels, weights, positions


def word_tags(token_label_ids: np.ndarray, positions: Sequence[Sequence[int]],
              label_names: Sequence[str]) -> list[list[str]]:
    """Word-level tags from label ids `[batch, seq]`: the id at each word's first sub-word.

    A word truncated away (position -1) gets `OUTSIDE` ("O").

    Example:
        >>> word_tags(np.array([[0, 1, 0, 2, 0]]), [[1, 3, -1]], ("O", "B-PER", "I-PER"))
        [['B-PER', 'I-PER', 'O']]
    """
    return [[label_names[row[p]] if p >= 0 else OUTSIDE for p in row_positions]
            for row, row_positions in zip(token_label_ids, positions)]


class TaggingRecipe:
    """Fine-tunes `bert_tagger` on CoNLL-format files (`--task conll2003`).

    Files: `--data-dir` with `eng.train` and `eng.testa` (or `train.txt` and `dev.txt`), or
    `--train-file` and `--dev-file`. Tags are read as IOB1 (CoNLL-2003) and converted to IOB2;
    a valid IOB2 file reads unchanged. The label names are those of the training file; a dev
    tag outside them is an error naming file and line.
    """

    name = "conll2003"
    kind = "tagger"
    monitor = "val_f1"  # entity F1, added to the logs by bert_keras.training.callbacks.DevMetrics
    mode = "max"

    def segments(self, records: Sequence[TaggingExample]) -> int:
        return 1

    def read(self, data_dir: str | None, train_file: str | None, dev_file: str | None,
             options: dict[str, Any]) -> TaskData:
        if not (train_file and dev_file) and not data_dir:
            raise ValueError(f"--task {self.name} needs --data-dir (or --train-file and "
                             "--dev-file)")
        train = read_conll(train_file or find_data_file(data_dir, TRAIN_FILES))
        dev = read_conll(dev_file or find_data_file(data_dir, DEV_FILES),
                         label_names=train.label_names)
        return TaskData(_examples(train.sentences, train.label_names),
                        _examples(dev.sentences, train.label_names), train.label_names)

    def read_dev(self, data_dir: str | None, dev_file: str | None, options: dict[str, Any],
                 label_names: tuple[str, ...] | None) -> list[TaggingExample]:
        """The dev records alone (for `evaluate`), with the label names training used."""
        if not dev_file and not data_dir:
            raise ValueError(f"--task {self.name} needs --data-dir or --dev-file")
        dev = read_conll(dev_file or find_data_file(data_dir, DEV_FILES), label_names=label_names)
        return _examples(dev.sentences, label_names)

    def build_model(self, encoder: keras.Model, label_names: tuple[str, ...] | None
                    ) -> keras.Model:
        return bert_tagger(encoder, num_labels=len(label_names))

    def compile_args(self) -> dict[str, Any]:
        """Cross-entropy and accuracy over the weighted (first sub-word) positions only."""
        return {"loss": keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True, reduction="mean_with_sample_weight"),
                "weighted_metrics": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]}

    def _batches(self, records: Sequence[TaggingExample], tokenizer: BertTokenizer,
                 seq_length: int, batch_size: int, shuffle: bool = False, seed: int = 0,
                 drop_remainder: bool = False) -> tf.data.Dataset:
        """Batches of `encode_words` outputs."""
        lengths = [len(record.words) for record in records]
        words = tf.RaggedTensor.from_row_lengths(
            tf.constant([w for r in records for w in r.words], tf.string), lengths)
        tag_ids = tf.RaggedTensor.from_row_lengths(
            tf.constant([t for r in records for t in r.tag_ids], tf.int32), lengths)
        dataset = tf.data.Dataset.from_tensor_slices((words, tag_ids))
        if shuffle:
            dataset = dataset.shuffle(len(records), seed=seed, reshuffle_each_iteration=True)
        return dataset.ragged_batch(batch_size, drop_remainder=drop_remainder).map(
            lambda w, t: encode_words(w, t, tokenizer, seq_length),
            num_parallel_calls=tf.data.AUTOTUNE)

    def dataset(self, records: Sequence[TaggingExample], tokenizer: BertTokenizer,
                seq_length: int, batch_size: int, shuffle: bool, seed: int,
                drop_remainder: bool = False, bucket_pool: int = 1) -> tf.data.Dataset:
        """Batches of `(encoder inputs, labels, sample weights)`, padded to the longest row.

        Rows are not bucketed by length: `bucket_pool` is accepted for the recipe protocol
        and ignored (every pool acts as 1, shuffled rows)."""
        batches = self._batches(records, tokenizer, seq_length, batch_size, shuffle, seed,
                                drop_remainder)
        return batches.map(lambda inputs, labels, weights, _: (inputs, labels, weights)
                           ).prefetch(tf.data.AUTOTUNE)

    def predict_tags(self, model: keras.Model, records: Sequence[TaggingExample],
                     tokenizer: BertTokenizer, seq_length: int,
                     label_names: Sequence[str]) -> tuple[list[list[str]], int]:
        """Predicted word-level IOB2 tags of every record (the tag at each word's first
        sub-word; "O" for words cut off at `seq_length`) and the number of words cut off."""
        predicted, truncated = [], 0
        batches = self._batches(records, tokenizer, seq_length, EVAL_BATCH_SIZE)
        for inputs, _, _, positions in tracked(batches, -(-len(records) // EVAL_BATCH_SIZE),
                                               "predicting"):
            logits = model.predict_on_batch(inputs)
            positions = positions.to_list()
            predicted += word_tags(logits.argmax(axis=-1), positions, label_names)
            truncated += sum(p < 0 for row in positions for p in row)
        return predicted, truncated

    def evaluate(self, model: keras.Model, records: Sequence[TaggingExample],
                 tokenizer: BertTokenizer, seq_length: int,
                 label_names: tuple[str, ...] | None) -> dict[str, float]:
        """Entity precision/recall/F1 (seqeval), word accuracy, and the count of words that
        did not fit in `seq_length` (predicted "O")."""
        predicted, truncated = self.predict_tags(model, records, tokenizer, seq_length,
                                                 label_names)
        gold = [[label_names[i] for i in record.tag_ids] for record in records]
        correct = sum(g == p for gs, ps in zip(gold, predicted) for g, p in zip(gs, ps))
        result = metrics.entity_scores(gold, predicted)
        result["token_accuracy"] = correct / sum(len(tags) for tags in gold)
        result["truncated_words"] = float(truncated)
        return result

    def predict_results(self, model: keras.Model, inputs: Sequence[str],
                        tokenizer: BertTokenizer, seq_length: int,
                        label_names: tuple[str, ...] | None) -> list[dict[str, Any]]:
        """Per input (words split on whitespace): its `words`, their `tags`, and the
        `entities` they form (`entities`)."""
        spans = [[match.span() for match in re.finditer(r"\S+", text)] for text in inputs]
        records = [TaggingExample(tuple(text[start:end] for start, end in row), (0,) * len(row))
                   for text, row in zip(inputs, spans)]
        predicted, _ = self.predict_tags(model, records, tokenizer, seq_length, label_names)
        return [{"words": list(record.words), "tags": tags,
                 "entities": entities(text, row, tags)}
                for text, row, record, tags in zip(inputs, spans, records, predicted)]

    def predict(self, model: keras.Model, inputs: Sequence[str], tokenizer: BertTokenizer,
                seq_length: int, label_names: tuple[str, ...] | None) -> list[str]:
        """One line of `word/TAG` pairs per input; words are split on whitespace."""
        return [" ".join(f"{word}/{tag}" for word, tag in zip(result["words"], result["tags"]))
                for result in self.predict_results(model, inputs, tokenizer, seq_length,
                                                   label_names)]


def entities(text: str, spans: Sequence[tuple[int, int]], tags: Sequence[str]
             ) -> list[dict[str, Any]]:
    """The entities that words (their character `spans` in `text`) tagged `tags` form, by
    the rules of `bert_keras.tasks.tagging.entity_words`: each entity's `text`, `label` (the
    type) and character `start` and `end` in `text`.

    Example:
        >>> entities("Ada Lovelace met Babbage", [(0, 3), (4, 12), (13, 16), (17, 24)],
        ...          ["B-PER", "I-PER", "O", "I-PER"])  # doctest: +NORMALIZE_WHITESPACE
        [{'text': 'Ada Lovelace', 'label': 'PER', 'start': 0, 'end': 12},
         {'text': 'Babbage', 'label': 'PER', 'start': 17, 'end': 24}]
    """
    found: list[dict[str, Any]] = []
    previous = OUTSIDE
    for (start, end), tag in zip(spans, tags):
        kind = re.sub(ENTITY_PREFIX, "", tag)
        follows = previous != OUTSIDE and re.sub(ENTITY_PREFIX, "", previous) == kind
        if tag != OUTSIDE and follows and not tag.startswith(BEGIN):
            found[-1].update(text=text[found[-1]["start"]:end], end=end)
        elif tag != OUTSIDE:
            found.append({"text": text[start:end], "label": kind, "start": start, "end": end})
        previous = tag
    return found
