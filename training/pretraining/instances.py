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

The streaming (reading, tokenizing, shard writing) is in `text_reading`, the entry point
`create_pretraining_data` in `create_data`.

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
import random
from collections.abc import Iterator, Sequence

from bert_keras.text.vocab import special_token_ids

Sentence = Sequence[int]
Document = Sequence[Sentence]


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
        check_int("max_seq_length", self.max_seq_length, 5,
                  "room for [CLS] A [SEP] B [SEP] with one token each in A and B")
        check_int("max_predictions_per_seq", self.max_predictions_per_seq, 1)
        check_int("dupe_factor", self.dupe_factor, 1)
        _check_probability("masked_lm_prob", self.masked_lm_prob, open_at_zero=True)
        _check_probability("short_seq_prob", self.short_seq_prob, open_at_zero=False)
        if not isinstance(self.do_whole_word_mask, bool):
            raise ValueError(f"do_whole_word_mask must be True or False, "
                             f"got {self.do_whole_word_mask!r}")

    @property
    def max_num_tokens(self) -> int:
        """Tokens of A and B together: `max_seq_length` less `[CLS]` and two `[SEP]`."""
        return self.max_seq_length - 3


def check_int(name: str, value: object, minimum: int, why: str = "") -> None:
    """Raises ValueError unless `value` is an integer (not a bool) >= `minimum`."""
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
