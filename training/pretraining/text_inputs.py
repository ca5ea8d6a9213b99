"""Pretraining batches from raw text with dynamic masking: nothing is written to disk, and every
pass over the corpus draws new sentence pairs and new masks (RoBERTa's lesson: a model that
sees each sequence with one fixed mask learns less from it).

The text (one sentence per line, a blank line between documents) is tokenized once with the
in-graph `BertTokenizer` and kept in memory as token ids; corpora larger than memory go through
`bert-keras create-pretraining-data` instead. Each pass pairs sentences as the reference recipe
does (segments up to the sequence length, 10% shorter ones, 50% random next segments), then
`tf.data` packs `[CLS] A [SEP] B [SEP]` and masks with `MaskedLMMasker`, seeded by the batch's
position in the stream so that a resumed run sees the same batches.

Example:
    >>> data, count = text_dataset(["corpus.txt"], "vocab.txt", True, 32)  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import random
from typing import Iterator, Sequence

import tensorflow as tf

from bert_keras.text import BertPacker, BertTokenizer
from bert_keras.training.pretraining.inputs import shard_policy, to_model_inputs
from bert_keras.training.pretraining.instances import Document, InstanceRecipe, document_pairs
from bert_keras.training.pretraining.masking import MaskedLMMasker
from bert_keras.training.pretraining.text_reading import read_token_documents


def sentence_pairs(documents: Sequence[Document], recipe: InstanceRecipe, rng: random.Random
                   ) -> Iterator[tuple[list[int], list[int], bool]]:
    """One pass of the reference pairing (`document_pairs`), documents in a random order."""
    order = list(range(len(documents)))
    rng.shuffle(order)
    for index in order:
        yield from document_pairs(documents, index, recipe, rng)


def text_dataset(files: Sequence[str], vocab: str, lowercase: bool, batch_size: int,
                 seq_length: int = 128, max_predictions: int = 20,
                 masked_lm_prob: float = 0.15, whole_word: bool = False, seed: int = 0,
                 short_seq_prob: float = 0.1,
                 input_context: tf.distribute.InputContext | None = None
                 ) -> tuple[tf.data.Dataset, int]:
    """An endless stream of masked pretraining batches from text files, and the number of
    instances in one pass.

    With `input_context` (one worker of several: see `bert_keras.training.fit.fit`) it is that
    worker's share, in per-replica batches (`batch_size` stays the global one), split as
    `inputs.shard_policy` says: by file (the worker reads and pairs only its files, random
    next segments drawn from them) when there are at least as many files as workers, else by
    data (every worker reads all files and keeps every n-th pair of each pass, so the
    workers' pairs are those of one worker); masks are seeded by worker too.

    Example:
        >>> batches, per_pass = text_dataset(  # doctest: +SKIP
        ...     ["part-0.txt", "part-1.txt"], "vocab.txt", True, batch_size=64,
        ...     input_context=tf.distribute.InputContext(2, 0, num_replicas_in_sync=2))
    """
    workers, index, by_data = 1, 0, False
    if input_context is not None:
        workers, index = input_context.num_input_pipelines, input_context.input_pipeline_id
        batch_size = input_context.get_per_replica_batch_size(batch_size)
    if workers > 1:
        if shard_policy(len(files), workers) == tf.data.experimental.AutoShardPolicy.FILE:
            files = list(files)[index::workers]
        else:
            by_data = True
    tokenizer = BertTokenizer(vocab, lowercase=lowercase)
    documents = read_token_documents(files, tokenizer)
    recipe = InstanceRecipe(max_seq_length=seq_length, max_predictions_per_seq=max_predictions,
                    masked_lm_prob=masked_lm_prob, short_seq_prob=short_seq_prob,
                    do_whole_word_mask=whole_word)

    def one_pass(pass_number: int) -> Iterator[tuple[list[int], list[int], bool]]:
        pairs = sentence_pairs(documents, recipe, random.Random(f"{seed}/{pass_number}"))
        return itertools.islice(pairs, index, None, workers) if by_data else pairs

    per_pass = sum(1 for _ in one_pass(0))

    def generate() -> Iterator[tuple[list[int], list[int], bool]]:
        for pass_number in range(2**31):
            yield from one_pass(pass_number)

    signature = (tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32),
                 tf.TensorSpec([], tf.bool))
    packer = BertPacker.from_tokenizer(tokenizer, seq_length)
    masker = MaskedLMMasker(tokenizer.vocabulary, masked_lm_prob, max_predictions, whole_word)

    def to_batch(number: tf.Tensor, first: tf.RaggedTensor, second: tf.RaggedTensor,
                 label: tf.Tensor):
        packed = packer([first, second])
        masked = masker(packed["input_word_ids"], seed=tf.stack([tf.cast(seed, tf.int64),
                                                                  number * workers + index]))
        return to_model_inputs({
            "input_ids": masked["input_word_ids"], "input_mask": packed["input_mask"],
            "segment_ids": packed["input_type_ids"],
            "next_sentence_labels": tf.cast(label, tf.int32),
            **{name: masked[name] for name in ("masked_lm_positions", "masked_lm_ids",
                                               "masked_lm_weights")}})

    dataset = (tf.data.Dataset.from_generator(generate, output_signature=signature)
               .ragged_batch(batch_size, drop_remainder=True).enumerate()
               .map(lambda number, batch: to_batch(number, *batch),
                    num_parallel_calls=tf.data.AUTOTUNE))
    return dataset.prefetch(tf.data.AUTOTUNE), per_pass
