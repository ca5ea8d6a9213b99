"""Streaming for `create_pretraining_data`: text files read lazily into documents (a list of
lines each), grouped into chunks, tokenized in batches, and records written to shards.

The recipe that turns token ids into instances is in `instances`; the entry point that drives
these pieces is in `create_data`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import tensorflow as tf

from bert_keras import storage
from bert_keras.data import DataError
from bert_keras.text import BertTokenizer
from bert_keras.training.pretraining.instances import Document, Instance

T = TypeVar("T")

TOKENIZE_BATCH_SIZE = 512
_SHARD_PATTERN = "part-{:05d}.tfrecord"
TEMPORARY_SUFFIX = ".tmp"


def chunk_documents(documents: Iterable[T], documents_per_chunk: int) -> Iterator[list[T]]:
    """Groups documents into chunks of `documents_per_chunk`, lazily; a lone document left at
    the end joins the last chunk, so that every chunk of a longer input has two or more.

    Example:
        >>> list(chunk_documents("abcdefg", 3)), list(chunk_documents("abcdefgh", 3))
        ([['a', 'b', 'c'], ['d', 'e', 'f', 'g']], [['a', 'b', 'c'], ['d', 'e', 'f'], ['g', 'h']])
    """
    chunk: list[T] = []
    for document in documents:
        chunk.append(document)
        if len(chunk) == documents_per_chunk + 2:  # two documents past a full chunk
            yield chunk[:documents_per_chunk]
            chunk = chunk[documents_per_chunk:]
    if chunk:
        yield chunk


class TextReader:
    """Reads documents (lists of stripped, non-blank lines) from files lazily, counting bytes."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = paths
        self.bytes_read = 0
        self.lines = 0

    def documents(self) -> Iterator[list[str]]:
        for path in self.paths:
            yield from self._file_documents(path)

    def _file_documents(self, path: str) -> Iterator[list[str]]:
        document: list[str] = []
        with storage.open_file(path, "rb") as file:
            for number, raw in enumerate(file, 1):
                self.bytes_read += len(raw)
                self.lines += 1
                line = _decode(raw, path, number).strip()
                if line:
                    document.append(line)
                elif document:
                    yield document
                    document = []
        if document:  # the end of a file ends its last document
            yield document


def _decode(raw: bytes, path: str, number: int) -> str:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(path, number, f"not UTF-8: {error.reason} at byte {error.start} of "
                                      f"the line") from None
    return line[1:] if number == 1 and line.startswith("\ufeff") else line


class Statistics:
    """Counts of one run."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys((
            "documents", "documents_without_tokens", "sentences", "lines_without_tokens",
            "sentence_tokens", "chunks", "instances", "random_next_instances",
            "instance_tokens", "masked_tokens"), 0)

    def add_instance(self, instance: Instance) -> None:
        self.counts["instances"] += 1
        self.counts["random_next_instances"] += instance.is_random_next
        self.counts["instance_tokens"] += len(instance.input_ids)
        self.counts["masked_tokens"] += len(instance.masked_lm_positions)


def tokenize_chunk(chunk: Sequence[Sequence[str]], tokenize: Callable[[tf.Tensor], tf.Tensor],
                   statistics: Statistics) -> list[list[list[int]]]:
    """Token ids of every line of a chunk, grouped by document; lines and documents without
    tokens are left out (and counted)."""
    lines = [line for document in chunk for line in document]
    ids: list[list[int]] = []
    for start in range(0, len(lines), TOKENIZE_BATCH_SIZE):
        ids.extend(tokenize(tf.constant(lines[start:start + TOKENIZE_BATCH_SIZE])).to_list())
    documents, start = [], 0
    for document in chunk:
        sentences = [sentence for sentence in ids[start:start + len(document)] if sentence]
        start += len(document)
        statistics.counts["lines_without_tokens"] += len(document) - len(sentences)
        statistics.counts["sentences"] += len(sentences)
        statistics.counts["sentence_tokens"] += sum(len(sentence) for sentence in sentences)
        if sentences:
            documents.append(sentences)
        else:
            statistics.counts["documents_without_tokens"] += 1
    statistics.counts["documents"] += len(documents)
    return documents


def read_token_documents(input_files: Sequence[str], tokenizer: BertTokenizer
                         ) -> list[Document]:
    """Every document of `input_files` (a sentence per line, blank lines between documents)
    as token ids, all in memory; lines and documents without tokens are left out.

    Example:
        >>> documents = read_token_documents(["corpus.txt"], tokenizer)  # doctest: +SKIP
    """
    documents = list(TextReader(check_input_files(input_files)).documents())
    tokens = tokenize_chunk(documents, tokenizer, Statistics())
    if not tokens:
        raise DataError(", ".join(input_files), None, "no text: expected a sentence per line")
    return tokens


def check_input_files(input_files: Sequence[str]) -> list[str]:
    """The input paths, each an existing file with some text."""
    if isinstance(input_files, (str, os.PathLike)):
        input_files = [input_files]
    paths = [os.fspath(path) for path in input_files]
    if not paths:
        raise ValueError("No input files given")
    for path in paths:
        if not storage.isfile(path):
            raise FileNotFoundError(f"Input file not found: {path}")
        if not _has_text(path):
            raise DataError(path, None, "no text: the file is empty or has only blank lines")
    return paths


def _has_text(path: str) -> bool:
    """Whether the file has a line that is not blank (reads only up to it)."""
    with storage.open_file(path, "rb") as file:
        return any(line.strip() and line.strip() != b"\xef\xbb\xbf" for line in file)


class ShardWriter:
    """Writes records to `part-NNNNN.tfrecord` files of at most `per_shard` records; each is
    written under a temporary name and renamed when complete."""

    def __init__(self, directory: str, per_shard: int) -> None:
        self.directory = directory
        self.per_shard = per_shard
        self.shards: list[str] = []
        self._writer: tf.io.TFRecordWriter | None = None
        self._count = 0

    def _path(self, name: str) -> str:
        return storage.join(self.directory, name)

    def write(self, record: bytes) -> None:
        if self._writer is None:
            self.shards.append(_SHARD_PATTERN.format(len(self.shards)))
            self._writer = tf.io.TFRecordWriter(self._path(self.shards[-1]) + TEMPORARY_SUFFIX)
        self._writer.write(record)
        self._count += 1
        if self._count == self.per_shard:
            self._finish_shard()

    def _finish_shard(self) -> None:
        self._writer.close()
        self._writer, self._count = None, 0
        storage.replace(self._path(self.shards[-1]) + TEMPORARY_SUFFIX,
                        self._path(self.shards[-1]))

    def close(self) -> list[str]:
        """Completes the last shard; returns the shard names."""
        if self._writer is not None:
            self._finish_shard()
        return self.shards

    def abort(self) -> None:
        """Removes every file written (after an error)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        for name in self.shards:
            for path in (self._path(name), self._path(name) + TEMPORARY_SUFFIX):
                if storage.exists(path):
                    storage.remove(path)
