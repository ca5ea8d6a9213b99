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

from typing import Iterator, Sequence

import numpy as np
import tensorflow as tf

from bert_keras.data import DataError
from bert_keras.text import BertPacker, BertTokenizer
from training.pretraining.inputs import to_model_inputs
from training.pretraining.masking import MaskedLMMasker

Document = list[list[int]]  # sentences of token ids


def read_documents(files: Sequence[str], tokenizer: BertTokenizer,
                   lines_per_call: int = 1024) -> list[Document]:
    """Token ids of every sentence, grouped into documents (blank lines separate them)."""
    documents: list[list[str]] = [[]]
    for path in files:
        with open(path, "rb") as file:
            for number, raw in enumerate(file, start=1):
                try:
                    line = raw.decode("utf-8").strip()
                except UnicodeDecodeError as error:
                    raise DataError(path, number, f"not UTF-8: {error}") from None
                if line:
                    documents[-1].append(line)
                elif documents[-1]:
                    documents.append([])
        if documents[-1]:
            documents.append([])  # a file ends its last document
    sentences = [line for document in documents for line in document]
    if not sentences:
        raise DataError(", ".join(files), None, "no text: expected one sentence per line")
    ids: list[list[int]] = []
    for start in range(0, len(sentences), lines_per_call):
        ids.extend(tokenizer(tf.constant(sentences[start:start + lines_per_call])).to_list())
    result, position = [], 0
    for document in documents:
        tokens = [sentence for sentence in ids[position:position + len(document)] if sentence]
        position += len(document)
        if tokens:
            result.append(tokens)
    return result


def sentence_pairs(documents: Sequence[Document], max_num_tokens: int,
                   rng: np.random.Generator, short_seq_prob: float = 0.1
                   ) -> Iterator[tuple[list[int], list[int], int]]:
    """One pass of (segment A, segment B, 1 if B is random else 0), documents in random order."""
    for index in rng.permutation(len(documents)):
        document = documents[index]
        target = max_num_tokens
        if rng.random() < short_seq_prob:
            target = int(rng.integers(2, max_num_tokens + 1))
        chunk: list[list[int]] = []
        length = 0
        position = 0
        while position < len(document):
            chunk.append(document[position])
            length += len(document[position])
            position += 1
            if position < len(document) and length < target:
                continue
            split = int(rng.integers(1, len(chunk))) if len(chunk) > 1 else 1
            first = [token for sentence in chunk[:split] for token in sentence]
            random_next = len(documents) > 1 and (len(chunk) == 1 or rng.random() < 0.5)
            if random_next:
                other = documents[(index + int(rng.integers(1, len(documents))))
                                  % len(documents)]
                start = int(rng.integers(0, len(other)))
                second = [token for sentence in other[start:] for token in sentence]
                second = second[:max(1, target - len(first))]
                position -= len(chunk) - split  # the unused sentences come round again
            else:
                second = [token for sentence in chunk[split:] for token in sentence]
            if first and second:
                yield first, second, int(random_next)
            chunk, length = [], 0


def text_dataset(files: Sequence[str], vocab: str, lowercase: bool, batch_size: int,
                 seq_length: int = 128, max_predictions: int = 20,
                 masked_lm_prob: float = 0.15, whole_word: bool = False, seed: int = 0,
                 short_seq_prob: float = 0.1) -> tuple[tf.data.Dataset, int]:
    """An endless stream of masked pretraining batches from text files, and the number of
    instances in one pass."""
    tokenizer = BertTokenizer(vocab, lowercase=lowercase)
    documents = read_documents(files, tokenizer)
    max_num_tokens = seq_length - 3
    per_pass = sum(1 for _ in sentence_pairs(documents, max_num_tokens,
                                             np.random.default_rng([seed, 0]), short_seq_prob))

    def generate() -> Iterator[tuple[list[int], list[int], int]]:
        for pass_number in range(2**31):
            rng = np.random.default_rng([seed, pass_number])
            yield from sentence_pairs(documents, max_num_tokens, rng, short_seq_prob)

    signature = (tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32),
                 tf.TensorSpec([], tf.int32))
    packer = BertPacker.from_tokenizer(tokenizer, seq_length)
    masker = MaskedLMMasker(tokenizer.vocabulary, masked_lm_prob, max_predictions, whole_word)

    def to_batch(number: tf.Tensor, first: tf.RaggedTensor, second: tf.RaggedTensor,
                 label: tf.Tensor):
        packed = packer([first, second])
        masked = masker(packed["input_word_ids"], seed=tf.stack([tf.cast(seed, tf.int64),
                                                                  number]))
        return to_model_inputs({
            "input_ids": masked["input_word_ids"], "input_mask": packed["input_mask"],
            "segment_ids": packed["input_type_ids"], "next_sentence_labels": label,
            **{name: masked[name] for name in ("masked_lm_positions", "masked_lm_ids",
                                               "masked_lm_weights")}})

    dataset = (tf.data.Dataset.from_generator(generate, output_signature=signature)
               .ragged_batch(batch_size, drop_remainder=True).enumerate()
               .map(lambda number, batch: to_batch(number, *batch),
                    num_parallel_calls=tf.data.AUTOTUNE))
    return dataset.prefetch(tf.data.AUTOTUNE), per_pass
