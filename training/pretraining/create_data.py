"""`create_pretraining_data`: text files to sharded pretraining records, streamed in chunks
(google-research/bert's `create_pretraining_data.py`; `bert-keras create-pretraining-data`).

The recipe is in `instances` (its module docstring describes it and the deviations from the
reference); reading, tokenizing and shard writing are in `text_reading`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import sys
import time
from collections.abc import Sequence

import tensorflow as tf
from tqdm import tqdm

from bert_keras import storage
from bert_keras.data import DataError
from bert_keras.text import BertTokenizer
from bert_keras.text.vocab import Vocabulary, load_vocabulary
from bert_keras.training.pretraining.instances import (InstanceRecipe, MaskingVocabulary,
                                                       check_int, create_instances)
from bert_keras.training.pretraining.records import METADATA_FILE, serialize_instance
from bert_keras.training.pretraining.text_reading import (TEMPORARY_SUFFIX, ShardWriter,
                                                          Statistics, TextReader,
                                                          check_input_files, chunk_documents,
                                                          tokenize_chunk)

VOCAB_FILE = "vocab.txt"


def create_pretraining_data(
    input_files: Sequence[str],
    output_dir: str,
    vocab: Vocabulary,
    max_seq_length: int = 128,
    max_predictions_per_seq: int = 20,
    masked_lm_prob: float = 0.15,
    short_seq_prob: float = 0.1,
    dupe_factor: int = 10,
    do_whole_word_mask: bool = False,
    lowercase: bool = True,
    seed: int = 12345,
    documents_per_chunk: int = 1000,
    instances_per_shard: int = 10000,
    overwrite: bool = False,
    progress: bool = True,
) -> dict:
    """Writes pretraining records made from text files to `output_dir`; returns statistics.

    `output_dir` gets `part-00000.tfrecord`, ... (at most `instances_per_shard` records each;
    read them with `bert_keras.training.pretraining.records.parse_records`), `vocab.txt` and
    `metadata.json` (the settings, the shard names and the statistics), written last.
    Memory is bounded by `documents_per_chunk` (and `dupe_factor`), not by the corpus size.

    Args:
        input_files: text files, one sentence per line, a blank line between documents.
        vocab: a `vocab.txt` path or a token list.
        lowercase: True for uncased vocabularies (lowercase and strip accents).
        progress: show a progress bar (bytes read, instances written) on stderr.

    Returns:
        Counts: `documents`, `sentences`, `sentence_tokens`, `lines_without_tokens`,
        `documents_without_tokens`, `chunks`, `instances`, `random_next_instances`,
        `instance_tokens` (with `[CLS]`/`[SEP]`), `masked_tokens`, `shards`, and `input_bytes`,
        `seconds`.

    Raises:
        FileNotFoundError: an input file or the vocabulary does not exist.
        DataError: an input file has no text, a line is not UTF-8, or no line gives any token.
        ValueError: a setting is out of range, or `output_dir` is not empty and not `overwrite`.

    Example:
        >>> create_pretraining_data(["corpus.txt"], "data/pretrain", "vocab.txt",
        ...                         dupe_factor=5)["instances"]  # doctest: +SKIP
        52113
    """
    started = time.perf_counter()
    recipe = InstanceRecipe(max_seq_length, max_predictions_per_seq, masked_lm_prob, short_seq_prob,
                    dupe_factor, do_whole_word_mask)
    _check_settings(lowercase, seed, documents_per_chunk, instances_per_shard)
    input_files = check_input_files(input_files)
    tokens = load_vocabulary(vocab)
    masking_vocab = MaskingVocabulary(tokens)
    tokenizer = BertTokenizer(tokens, lowercase=lowercase)
    output_dir = os.fspath(output_dir)
    _prepare_output_dir(output_dir, overwrite)
    writer = ShardWriter(output_dir, instances_per_shard)
    try:
        statistics = _write_instances(input_files, tokenizer, recipe, masking_vocab,
                                      random.Random(seed), documents_per_chunk, writer, progress)
        shards = writer.close()
    except BaseException:
        writer.abort()
        raise
    with storage.open_file(storage.join(output_dir, VOCAB_FILE), "w", encoding="utf-8",
                           newline="\n") as f:
        f.write("".join(token + "\n" for token in tokens))
    counts = dict(statistics.counts, shards=len(shards),
                  input_bytes=sum(storage.getsize(path) for path in input_files))
    _write_metadata(output_dir, {
        "format": "google-research/bert pretraining tf.train.Example",
        **dataclasses.asdict(recipe),
        "lowercase": lowercase,
        "vocab_size": len(tokens),
        "vocab_file": VOCAB_FILE,
        "num_instances": counts["instances"],
        "seed": seed,
        "documents_per_chunk": documents_per_chunk,
        "instances_per_shard": instances_per_shard,
        "input_files": list(input_files),
        "shards": shards,
        "statistics": counts,
    })
    return dict(counts, seconds=time.perf_counter() - started)


def _write_instances(input_files: Sequence[str], tokenizer: BertTokenizer, recipe: InstanceRecipe,
                     vocab: MaskingVocabulary, rng: random.Random, documents_per_chunk: int,
                     writer: ShardWriter, progress: bool) -> Statistics:
    """Reads, chunks, tokenizes, builds and writes; returns the counts."""
    tokenize = tf.function(tokenizer, input_signature=[tf.TensorSpec([None], tf.string)])
    reader = TextReader(input_files)
    statistics = Statistics()
    total_bytes = sum(storage.getsize(path) for path in input_files)
    with tqdm(total=total_bytes, unit="B", unit_scale=True, file=sys.stderr,
              desc="create-pretraining-data", disable=not progress) as bar:
        for chunk in chunk_documents(reader.documents(), documents_per_chunk):
            documents = tokenize_chunk(chunk, tokenize, statistics)
            del chunk
            statistics.counts["chunks"] += 1
            for instance in create_instances(documents, recipe, vocab, rng):
                writer.write(serialize_instance(
                    instance.input_ids, instance.segment_ids, instance.masked_lm_positions,
                    instance.masked_lm_ids, int(instance.is_random_next),
                    recipe.max_seq_length, recipe.max_predictions_per_seq))
                statistics.add_instance(instance)
            bar.update(reader.bytes_read - bar.n)
            bar.set_postfix(instances=statistics.counts["instances"])
    if not statistics.counts["instances"]:
        raise DataError(", ".join(input_files), None,
                        "no sentences: no line gives any token with this vocabulary")
    return statistics


def _check_settings(lowercase: object, seed: object, documents_per_chunk: object,
                    instances_per_shard: object) -> None:
    if not isinstance(lowercase, bool):
        raise ValueError(f"lowercase must be True or False, got {lowercase!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    check_int("documents_per_chunk", documents_per_chunk, 2,
              "the random next sentence comes from another document of the chunk")
    check_int("instances_per_shard", instances_per_shard, 1)


def _prepare_output_dir(output_dir: str, overwrite: bool) -> None:
    """Creates `output_dir`, or empties it of a previous run's files if `overwrite`."""
    if storage.exists(output_dir) and not storage.isdir(output_dir):
        raise ValueError(f"Output {output_dir} exists and is not a directory")
    if storage.isdir(output_dir) and storage.listdir(output_dir):
        if not overwrite:
            raise ValueError(f"Output directory {output_dir} is not empty; use --overwrite "
                             f"(overwrite=True) to replace the pretraining data in it")
        # metadata.json first: a run that fails later must not leave metadata of stale shards.
        previous = [storage.join(output_dir, name) for name in (METADATA_FILE, VOCAB_FILE)]
        previous += sorted(storage.glob(storage.join(storage.escape(output_dir),
                                                     "part-*.tfrecord*")))
        for path in previous:
            if storage.isfile(path):
                storage.remove(path)
    storage.makedirs(output_dir)


def _write_metadata(output_dir: str, metadata: dict) -> None:
    path = storage.join(output_dir, METADATA_FILE)
    with storage.open_file(path + TEMPORARY_SUFFIX, "w", encoding="utf-8") as file:
        json.dump(metadata, file, indent=2)
        file.write("\n")
    storage.replace(path + TEMPORARY_SUFFIX, path)
