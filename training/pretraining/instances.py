"""Pretraining data from raw text: google-research/bert's recipe, streamed in chunks.

Input files hold one sentence per line and a blank (or whitespace-only) line between documents,
as Google's `sample_text.txt`. The recipe, as in google-research/bert's
`create_pretraining_data.py`:

- `dupe_factor` passes over every document, each with fresh pairing and masking;
- per document and pass, the target length is `max_seq_length - 3`, or with probability
  `short_seq_prob` a random length in `[2, max_seq_length - 3]`;
- whole sentences are gathered up to the target length; A is a random prefix of them; half of
  the time (always when there is only one sentence) B is taken from a random other document,
  starting at a random sentence, and the unused sentences are put back; otherwise B is the rest;
- the pair is cut to `max_seq_length - 3` tokens, one token at a time from the longer side, from
  its front or back at random; the instance is `[CLS] A [SEP] B [SEP]`, segment ids 0 then 1;
- `min(max_predictions_per_seq, max(1, round(len(tokens) * masked_lm_prob)))` positions are
  masked, never `[CLS]`/`[SEP]`; with `do_whole_word_mask` a `##` piece belongs to the word
  before it and words are masked whole (a word that does not fit in the budget is skipped);
  each masked position becomes `[MASK]` (80%), stays (10%) or becomes a random vocabulary id
  (10%).

Streaming, so that memory is bounded by the chunk and not by the corpus: lines are read lazily;
every `documents_per_chunk` documents are tokenized (in batches, in the graph, by `BertTokenizer`),
turned into instances, shuffled and written to the shards; then the chunk is dropped.

Deviations from the reference, all consequences of streaming unless noted:

- the random B comes from another document of the same chunk (the reference draws from the whole
  corpus); a lone document left over at the end of the input joins the last chunk, so every
  chunk has at least two documents; only a corpus of a single document draws B from that same
  document (what the reference does too, once its ten tries at another document fail);
- instances are shuffled within their chunk (the reference shuffles all of them) and fill the
  shards one after another (the reference writes round-robin to its output files): shuffle
  again when training, e.g. with `tf.data`'s shuffle buffer;
- the end of an input file ends a document (the reference runs a document on into the next
  file when the first does not end with a blank line); the reference also shuffles the order of
  the documents, which changes nothing here since instances are shuffled;
- not streaming: a whole-word group never spans `[SEP]` (in the reference a `##` piece that
  starts B after truncation joins the last word of A), and the other document is drawn
  uniformly among the others (the reference draws up to ten times until it differs).

Lines that give no tokens are skipped, as in the reference; they are counted in the statistics
(`lines_without_tokens`), like documents left without any sentence (`documents_without_tokens`).
The output depends on the seed and on `documents_per_chunk`; the same settings give
byte-identical shards.

Example:
    >>> vocab = MaskingVocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    ...                            "a", "b", "c", "d", "##e"])
    >>> documents = [[[5, 6], [7, 8, 9]], [[6, 6, 6]]]
    >>> recipe = InstanceRecipe(max_seq_length=12, max_predictions_per_seq=2, dupe_factor=1)
    >>> instances = create_instances(documents, recipe, vocab, random.Random(1))
    >>> instances[0]  # A = "a b" with "b" masked, B = "b b b" from the other document
    Instance(input_ids=[2, 5, 4, 3, 6, 6, 6, 3], segment_ids=[0, 0, 0, 0, 1, 1, 1, 1],
             masked_lm_positions=[2], masked_lm_ids=[6], is_random_next=True)
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import tensorflow as tf
from tqdm import tqdm

from bert_keras.data import DataError
from bert_keras.text import BertTokenizer
from bert_keras.text.vocab import Vocabulary, load_vocabulary, special_token_ids
from bert_keras.training.pretraining.records import METADATA_FILE, serialize_instance

Sentence = Sequence[int]
Document = Sequence[Sentence]
T = TypeVar("T")

VOCAB_FILE = "vocab.txt"
TOKENIZE_BATCH_SIZE = 512
_SHARD_PATTERN = "part-{:05d}.tfrecord"
_TEMPORARY_SUFFIX = ".tmp"


@dataclasses.dataclass(frozen=True)
class InstanceRecipe:
    """The settings of google-research/bert's recipe (its flag names and defaults)."""

    max_seq_length: int = 128
    max_predictions_per_seq: int = 20
    masked_lm_prob: float = 0.15
    short_seq_prob: float = 0.1
    dupe_factor: int = 10
    do_whole_word_mask: bool = False

    def __post_init__(self) -> None:
        _check_int("max_seq_length", self.max_seq_length, 5,
                   "room for [CLS] A [SEP] B [SEP] with one token each in A and B")
        _check_int("max_predictions_per_seq", self.max_predictions_per_seq, 1)
        _check_int("dupe_factor", self.dupe_factor, 1)
        _check_probability("masked_lm_prob", self.masked_lm_prob, open_at_zero=True)
        _check_probability("short_seq_prob", self.short_seq_prob, open_at_zero=False)
        if not isinstance(self.do_whole_word_mask, bool):
            raise ValueError(f"do_whole_word_mask must be True or False, "
                             f"got {self.do_whole_word_mask!r}")

    @property
    def max_num_tokens(self) -> int:
        """Tokens of A and B together: `max_seq_length` less `[CLS]` and two `[SEP]`."""
        return self.max_seq_length - 3


def _check_int(name: str, value: object, minimum: int, why: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be an integer >= {minimum}{reason}, got {value!r}")


def _check_probability(name: str, value: object, open_at_zero: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
        0 < value <= 1 if open_at_zero else 0 <= value <= 1)
    if not ok:
        interval = "(0, 1]" if open_at_zero else "[0, 1]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


class MaskingVocabulary:
    """What the recipe needs from a vocabulary: special ids, its size, which ids are `##` pieces.

    Example:
        >>> vocab = MaskingVocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b"])
        >>> vocab.cls_id, vocab.sep_id, vocab.mask_id, vocab.size, vocab.is_continuation(6)
        (2, 3, 4, 7, True)
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        ids = special_token_ids(tokens)
        self.tokens = tokens
        self.size = len(tokens)
        self.cls_id, self.sep_id, self.mask_id = ids["[CLS]"], ids["[SEP]"], ids["[MASK]"]

    def is_continuation(self, token_id: int) -> bool:
        """Whether the token continues the word before it (a `##` piece)."""
        return self.tokens[token_id].startswith("##")


@dataclasses.dataclass(frozen=True)
class Instance:
    """One training instance, unpadded: `[CLS] A [SEP] B [SEP]` after masking."""

    input_ids: list[int]
    segment_ids: list[int]
    masked_lm_positions: list[int]  # ascending
    masked_lm_ids: list[int]  # the original token at each masked position
    is_random_next: bool


# ---------------------------------------------------------------------------------------------
# The recipe: pure functions on token ids.


def create_instances(documents: Sequence[Document], recipe: InstanceRecipe,
                     vocab: MaskingVocabulary, rng: random.Random) -> list[Instance]:
    """The instances of a chunk of documents: `dupe_factor` passes over each, shuffled.

    `documents` are lists of sentences, each a non-empty list of token ids; the random B of an
    instance comes from another document of `documents`.
    """
    instances = []
    for _ in range(recipe.dupe_factor):
        for index in range(len(documents)):
            instances.extend(create_instances_from_document(documents, index, recipe, vocab, rng))
    rng.shuffle(instances)
    return instances


def create_instances_from_document(documents: Sequence[Document], document_index: int,
                                   recipe: InstanceRecipe, vocab: MaskingVocabulary,
                                   rng: random.Random) -> list[Instance]:
    """One pass over `documents[document_index]`: its instances in document order."""
    return [make_instance(tokens_a, tokens_b, is_random_next, recipe, vocab, rng)
            for tokens_a, tokens_b, is_random_next
            in document_pairs(documents, document_index, recipe, rng)]


def document_pairs(documents: Sequence[Document], document_index: int, recipe: InstanceRecipe,
                   rng: random.Random) -> Iterator[tuple[list[int], list[int], bool]]:
    """The unmasked segment pairs `(A, B, is_random_next)` of one pass over
    `documents[document_index]`, truncated to `recipe.max_num_tokens` together.

    Example:
        >>> documents = [[[5, 6], [7]], [[8, 9]]]  # two documents of token-id sentences
        >>> list(document_pairs(documents, 0, InstanceRecipe(max_seq_length=8), random.Random(0)))
        [([5, 6], [8, 9], True), ([7], [8, 9], True)]
    """
    document = documents[document_index]
    target_length = recipe.max_num_tokens
    if rng.random() < recipe.short_seq_prob:
        target_length = rng.randint(2, recipe.max_num_tokens)
    segments: list[Sentence] = []
    length = 0
    i = 0
    while i < len(document):
        segments.append(document[i])
        length += len(document[i])
        if i == len(document) - 1 or length >= target_length:
            tokens_a, tokens_b, is_random_next, unused = _pair(
                segments, documents, document_index, target_length, rng)
            i -= unused  # the sentences not used for A go back for the next instance
            tokens_a, tokens_b = truncate_seq_pair(tokens_a, tokens_b, recipe.max_num_tokens, rng)
            yield tokens_a, tokens_b, is_random_next
            segments, length = [], 0
        i += 1


def _pair(segments: Sequence[Sentence], documents: Sequence[Document], document_index: int,
          target_length: int, rng: random.Random) -> tuple[list[int], list[int], bool, int]:
    """`(tokens_a, tokens_b, is_random_next, number of sentences not used)`."""
    a_end = rng.randint(1, len(segments) - 1) if len(segments) >= 2 else 1
    tokens_a = [token for sentence in segments[:a_end] for token in sentence]
    if len(segments) == 1 or rng.random() < 0.5:
        other = _random_other_document(documents, document_index, rng)
        tokens_b: list[int] = []
        for sentence in other[rng.randrange(len(other)):]:
            tokens_b.extend(sentence)
            if len(tokens_b) >= target_length - len(tokens_a):
                break
        return tokens_a, tokens_b, True, len(segments) - a_end
    tokens_b = [token for sentence in segments[a_end:] for token in sentence]
    return tokens_a, tokens_b, False, 0


def _random_other_document(documents: Sequence[Document], document_index: int,
                           rng: random.Random) -> Document:
    """A document other than `documents[document_index]`, uniformly (itself if it is alone)."""
    if len(documents) == 1:
        return documents[0]
    index = rng.randrange(len(documents) - 1)
    return documents[index + (index >= document_index)]


def truncate_seq_pair(tokens_a: Sequence[int], tokens_b: Sequence[int], max_num_tokens: int,
                      rng: random.Random) -> tuple[list[int], list[int]]:
    """Cuts the pair to `max_num_tokens`: one token at a time from the longer side (B on a tie),
    from its front or its back at random.

    Example:
        >>> truncate_seq_pair([1, 2, 3, 4, 5], [6, 7], 4, random.Random(0))
        ([2, 3], [6, 7])
    """
    a_start, a_end, b_start, b_end = 0, len(tokens_a), 0, len(tokens_b)
    while (a_end - a_start) + (b_end - b_start) > max_num_tokens:
        from_a = a_end - a_start > b_end - b_start
        from_front = rng.random() < 0.5
        if from_a and from_front:
            a_start += 1
        elif from_a:
            a_end -= 1
        elif from_front:
            b_start += 1
        else:
            b_end -= 1
    return list(tokens_a[a_start:a_end]), list(tokens_b[b_start:b_end])


def make_instance(tokens_a: Sequence[int], tokens_b: Sequence[int], is_random_next: bool,
                  recipe: InstanceRecipe, vocab: MaskingVocabulary, rng: random.Random) -> Instance:
    """`[CLS] A [SEP] B [SEP]` with segment ids and masked-LM predictions."""
    tokens = [vocab.cls_id, *tokens_a, vocab.sep_id, *tokens_b, vocab.sep_id]
    segment_ids = [0] * (len(tokens_a) + 2) + [1] * (len(tokens_b) + 1)
    masked, positions, labels = mask_tokens(tokens, recipe, vocab, rng)
    return Instance(masked, segment_ids, positions, labels, is_random_next)


def num_to_predict(num_tokens: int, recipe: InstanceRecipe) -> int:
    """How many positions an instance of `num_tokens` tokens (with specials) has masked.

    Example:
        >>> num_to_predict(128, InstanceRecipe()), num_to_predict(5, InstanceRecipe())
        (19, 1)
    """
    return min(recipe.max_predictions_per_seq,
               max(1, round(num_tokens * recipe.masked_lm_prob)))


def mask_tokens(tokens: Sequence[int], recipe: InstanceRecipe, vocab: MaskingVocabulary,
                rng: random.Random) -> tuple[list[int], list[int], list[int]]:
    """Masks `tokens` (80% `[MASK]`, 10% kept, 10% random id); returns `(masked tokens,
    positions ascending, original ids)`.

    Example:
        >>> vocab = MaskingVocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"])
        >>> masked, positions, originals = mask_tokens([2, 5, 5, 5, 3], InstanceRecipe(), vocab,
        ...                                            random.Random(0))
        >>> len(positions), originals
        (1, [5])
    """
    groups = _candidate_groups(tokens, vocab, recipe.do_whole_word_mask)
    rng.shuffle(groups)
    budget = num_to_predict(len(tokens), recipe)
    masked = list(tokens)
    positions: list[int] = []
    for group in groups:
        if len(positions) >= budget:
            break
        if len(positions) + len(group) > budget:
            continue
        for position in group:
            masked[position] = _replacement(tokens[position], vocab, rng)
            positions.append(position)
    positions.sort()
    return masked, positions, [tokens[position] for position in positions]


def _candidate_groups(tokens: Sequence[int], vocab: MaskingVocabulary,
                      whole_word: bool) -> list[list[int]]:
    """Maskable positions (all but `[CLS]`/`[SEP]`), grouped by word if `whole_word`."""
    groups: list[list[int]] = []
    after_candidate = False
    for position, token in enumerate(tokens):
        if token == vocab.cls_id or token == vocab.sep_id:
            after_candidate = False
            continue
        if whole_word and after_candidate and vocab.is_continuation(token):
            groups[-1].append(position)
        else:
            groups.append([position])
        after_candidate = True
    return groups


def _replacement(token: int, vocab: MaskingVocabulary, rng: random.Random) -> int:
    if rng.random() < 0.8:
        return vocab.mask_id
    if rng.random() < 0.5:
        return token
    return rng.randrange(vocab.size)


# ---------------------------------------------------------------------------------------------
# Streaming: reading, chunking, tokenizing, writing.


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


class _TextReader:
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
        with open(path, "rb") as file:
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


class _Statistics:
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


def _tokenize_chunk(chunk: Sequence[Sequence[str]], tokenize: Callable[[tf.Tensor], tf.Tensor],
                    statistics: _Statistics) -> list[list[list[int]]]:
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
    documents = list(_TextReader(_check_input_files(input_files)).documents())
    tokens = _tokenize_chunk(documents, tokenizer, _Statistics())
    if not tokens:
        raise DataError(", ".join(input_files), None, "no text: expected a sentence per line")
    return tokens


class _ShardWriter:
    """Writes records to `part-NNNNN.tfrecord` files of at most `per_shard` records; each is
    written under a temporary name and renamed when complete."""

    def __init__(self, directory: str, per_shard: int) -> None:
        self.directory = directory
        self.per_shard = per_shard
        self.shards: list[str] = []
        self._writer: tf.io.TFRecordWriter | None = None
        self._count = 0

    def _path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def write(self, record: bytes) -> None:
        if self._writer is None:
            self.shards.append(_SHARD_PATTERN.format(len(self.shards)))
            self._writer = tf.io.TFRecordWriter(self._path(self.shards[-1]) + _TEMPORARY_SUFFIX)
        self._writer.write(record)
        self._count += 1
        if self._count == self.per_shard:
            self._finish_shard()

    def _finish_shard(self) -> None:
        self._writer.close()
        self._writer, self._count = None, 0
        os.replace(self._path(self.shards[-1]) + _TEMPORARY_SUFFIX, self._path(self.shards[-1]))

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
            for path in (self._path(name), self._path(name) + _TEMPORARY_SUFFIX):
                if os.path.exists(path):
                    os.remove(path)


# ---------------------------------------------------------------------------------------------
# The entry point.


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
    input_files = _check_input_files(input_files)
    tokens = load_vocabulary(vocab)
    masking_vocab = MaskingVocabulary(tokens)
    tokenizer = BertTokenizer(tokens, lowercase=lowercase)
    output_dir = os.fspath(output_dir)
    _prepare_output_dir(output_dir, overwrite)
    writer = _ShardWriter(output_dir, instances_per_shard)
    try:
        statistics = _write_instances(input_files, tokenizer, recipe, masking_vocab,
                                      random.Random(seed), documents_per_chunk, writer, progress)
        shards = writer.close()
    except BaseException:
        writer.abort()
        raise
    with open(os.path.join(output_dir, VOCAB_FILE), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(token + "\n" for token in tokens))
    counts = dict(statistics.counts, shards=len(shards),
                  input_bytes=sum(os.path.getsize(path) for path in input_files))
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
                     writer: _ShardWriter, progress: bool) -> _Statistics:
    """Reads, chunks, tokenizes, builds and writes; returns the counts."""
    tokenize = tf.function(tokenizer, input_signature=[tf.TensorSpec([None], tf.string)])
    reader = _TextReader(input_files)
    statistics = _Statistics()
    total_bytes = sum(os.path.getsize(path) for path in input_files)
    with tqdm(total=total_bytes, unit="B", unit_scale=True, file=sys.stderr,
              desc="create-pretraining-data", disable=not progress) as bar:
        for chunk in chunk_documents(reader.documents(), documents_per_chunk):
            documents = _tokenize_chunk(chunk, tokenize, statistics)
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
    _check_int("documents_per_chunk", documents_per_chunk, 2,
               "the random next sentence comes from another document of the chunk")
    _check_int("instances_per_shard", instances_per_shard, 1)


def _check_input_files(input_files: Sequence[str]) -> list[str]:
    """The input paths, each an existing file with some text."""
    if isinstance(input_files, (str, os.PathLike)):
        input_files = [input_files]
    paths = [os.fspath(path) for path in input_files]
    if not paths:
        raise ValueError("No input files given")
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Input file not found: {path}")
        if not _has_text(path):
            raise DataError(path, None, "no text: the file is empty or has only blank lines")
    return paths


def _has_text(path: str) -> bool:
    """Whether the file has a line that is not blank (reads only up to it)."""
    with open(path, "rb") as file:
        return any(line.strip() and line.strip() != b"\xef\xbb\xbf" for line in file)


def _prepare_output_dir(output_dir: str, overwrite: bool) -> None:
    """Creates `output_dir`, or empties it of a previous run's files if `overwrite`."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ValueError(f"Output {output_dir} exists and is not a directory")
    if os.path.isdir(output_dir) and os.listdir(output_dir):
        if not overwrite:
            raise ValueError(f"Output directory {output_dir} is not empty; use --overwrite "
                             f"(overwrite=True) to replace the pretraining data in it")
        # metadata.json first: a run that fails later must not leave metadata of stale shards.
        previous = [os.path.join(output_dir, name) for name in (METADATA_FILE, VOCAB_FILE)]
        previous += sorted(glob.glob(os.path.join(glob.escape(output_dir), "part-*.tfrecord*")))
        for path in previous:
            if os.path.isfile(path):
                os.remove(path)
    os.makedirs(output_dir, exist_ok=True)


def _write_metadata(output_dir: str, metadata: dict) -> None:
    path = os.path.join(output_dir, METADATA_FILE)
    with open(path + _TEMPORARY_SUFFIX, "w", encoding="utf-8") as file:
        json.dump(metadata, file, indent=2)
        file.write("\n")
    os.replace(path + _TEMPORARY_SUFFIX, path)
