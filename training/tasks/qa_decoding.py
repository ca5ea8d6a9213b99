"""Extractive QA windows: SQuAD examples to fixed-length features, and span logits back to text.

A feature is one window of a context: `[CLS] question [SEP] context tokens [SEP]`, padded to
`seq_length`. Contexts longer than one window are cut into overlapping windows `doc_stride`
tokens apart. Each feature keeps, for every position, the character span in the context that
the token came from (-1 outside the context), so a predicted token span maps straight back to
the original text. The windows and the spans decoding considers follow the rules of
`bert_keras.tasks.span_labeling`, whose functions run here eagerly on the arrays and in the
serving graph alike.

Example:
    >>> from bert_keras.data import QAExample
    >>> from bert_keras.text import BertTokenizer
    >>> vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "who", "?", "ada", "wrote", "."]
    >>> example = QAExample("q1", "T", "Ada wrote.", "Who?", ["Ada"], [0], False)
    >>> features = make_features([example], BertTokenizer(vocab), seq_length=8)
    >>> features.input_word_ids[0].tolist(), features.start_positions.tolist()
    ([2, 5, 6, 3, 7, 8, 9, 3], [4])
    >>> start_logits = np.where(np.arange(8) == 4, 5.0, 0.0)[None]
    >>> decode([example], features, start_logits, end_logits=start_logits)[0].text
    'Ada'
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple, Sequence

import numpy as np
import tensorflow as tf

from bert_keras.data import QAExample
from bert_keras.tasks.span_labeling import (DEFAULTS, context_budget, prefers_null,
                                            span_candidates, windows)
from bert_keras.text import BertTokenizer
from bert_keras.training.progress import tracked

_TOKENIZE_BATCH = 256


@dataclasses.dataclass(frozen=True)
class QAFeatures:
    """Windows of SQuAD examples as arrays, one row per window (`[windows, seq_length]`).

    Attributes:
        input_word_ids, input_mask, input_type_ids: the encoder inputs (int32).
        start_positions, end_positions: training labels, the answer's first and last token
            position in the window, or 0 ([CLS]) when the window does not contain the whole
            answer or the question has none.
        example_index: the example (position in the input list) each window belongs to.
        char_starts, char_ends: character span of each position's token in the context; -1
            for the question, special tokens and padding.
    """

    input_word_ids: np.ndarray
    input_mask: np.ndarray
    input_type_ids: np.ndarray
    start_positions: np.ndarray
    end_positions: np.ndarray
    example_index: np.ndarray
    char_starts: np.ndarray
    char_ends: np.ndarray

    def __len__(self) -> int:
        return len(self.example_index)

    def inputs(self) -> dict[str, np.ndarray]:
        """The three encoder inputs by name."""
        return {"input_word_ids": self.input_word_ids, "input_mask": self.input_mask,
                "input_type_ids": self.input_type_ids}


class Answer(NamedTuple):
    """A decoded answer: its text ("" for no answer), its probability among the n-best
    candidates, its score (start + end logit), and where it lies in the context:
    `context[start:end] == text` (0, 0 for no answer)."""

    text: str
    probability: float
    score: float
    start: int = 0
    end: int = 0


def _tokenize(tokenizer: BertTokenizer, texts: Sequence[str]
              ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`(ids, char_starts, char_ends)` for each text; offsets in characters, not bytes."""
    result: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if not texts:
        return result
    strings = tf.constant(list(texts), tf.string)
    if len(texts) <= _TOKENIZE_BATCH:  # eagerly: tracing the graph would take longer
        batches = [tokenizer.tokenize_with_offsets(strings)]
    else:
        batches = tf.data.Dataset.from_tensor_slices(strings).batch(_TOKENIZE_BATCH).map(
            tokenizer.tokenize_with_offsets)
    for ids, starts, ends in batches:
        splits = ids.row_splits.numpy()
        flat = (ids.flat_values.numpy(), starts.flat_values.numpy(), ends.flat_values.numpy())
        for row in range(len(splits) - 1):
            result.append(tuple(values[splits[row]:splits[row + 1]] for values in flat))
    return [(ids, _to_chars(text, starts), _to_chars(text, ends))
            for text, (ids, starts, ends) in zip(texts, result)]


def _to_chars(text: str, byte_offsets: np.ndarray) -> np.ndarray:
    """UTF-8 byte offsets (at character boundaries) into `text` -> character offsets."""
    if text.isascii():
        return byte_offsets.astype(np.int32)
    char_bytes = np.fromiter((len(char.encode("utf-8")) for char in text), np.int64, len(text))
    boundaries = np.concatenate([[0], np.cumsum(char_bytes)])
    return np.searchsorted(boundaries, byte_offsets).astype(np.int32)


def _answer_tokens(example: QAExample, starts: np.ndarray, ends: np.ndarray
                   ) -> tuple[int, int] | None:
    """First and last context token of the example's first answer (None when it has none)."""
    if example.is_impossible or not example.answer_texts:
        return None
    answer_start = example.answer_starts[0]
    answer_end = answer_start + len(example.answer_texts[0])
    first = np.flatnonzero(ends > answer_start)
    last = np.flatnonzero(starts < answer_end)
    if not len(first) or not len(last) or last[-1] < first[0]:
        return None
    return int(first[0]), int(last[-1])


def make_features(examples: Sequence[QAExample], tokenizer: BertTokenizer, seq_length: int,
                  doc_stride: int = DEFAULTS["doc_stride"],
                  max_query_length: int = DEFAULTS["max_query_length"]) -> QAFeatures:
    """Cuts each example into windows of `seq_length` tokens (see the module docstring and
    `span_labeling.windows`).

    Questions keep their first `max_query_length` tokens. Each distinct context is tokenized
    once, in batches, by the in-graph tokenizer.
    """
    if doc_stride < 1:
        raise ValueError(f"doc_stride must be positive, got {doc_stride}")
    contexts = list(dict.fromkeys(example.context for example in examples))
    tokens = _tokenize(tokenizer, contexts + [example.question for example in examples])
    context_tokens = dict(zip(contexts, tokens[:len(contexts)]))
    questions = [ids[:max_query_length] for ids, _, _ in tokens[len(contexts):]]
    for example, question in zip(examples, questions):
        if context_budget(seq_length, len(question)) < 1:
            raise ValueError(f"question {example.id!r}: {len(question)} question tokens leave "
                             f"no room for the context in seq_length {seq_length}; lower "
                             "max_query_length or raise seq_length")
    example_tokens = [context_tokens[example.context] for example in examples]
    cut = windows(np.array([len(question) for question in questions], np.int64),
                  np.array([len(ids) for ids, _, _ in example_tokens], np.int64), seq_length,
                  doc_stride)
    answers = [_answer_tokens(example, starts, ends)
               for example, (_, starts, ends) in zip(examples, example_tokens)]
    rows: dict[str, list] = {field.name: [] for field in dataclasses.fields(QAFeatures)}
    position = np.arange(seq_length)
    for index, start, length, offset in zip(*(cut[name].numpy().tolist() for name in (
            "example", "first", "length", "offset"))):
        ids, starts, ends = example_tokens[index]
        answer = answers[index]
        context = slice(offset, offset + length)  # positions of the window's tokens
        window_ids = np.full(seq_length, tokenizer.pad_id, np.int32)
        window_ids[:context.stop + 1] = [tokenizer.cls_id, *questions[index].tolist(),
                                         tokenizer.sep_id, *ids[start:start + length].tolist(),
                                         tokenizer.sep_id]
        chars = np.full((2, seq_length), -1, np.int32)
        chars[0, context] = starts[start:start + length]
        chars[1, context] = ends[start:start + length]
        inside = answer is not None and start <= answer[0] and answer[1] < start + length
        rows["input_word_ids"].append(window_ids)
        rows["input_mask"].append(position <= context.stop)
        rows["input_type_ids"].append((position >= context.start) & (position <= context.stop))
        rows["start_positions"].append(answer[0] - start + context.start if inside else 0)
        rows["end_positions"].append(answer[1] - start + context.start if inside else 0)
        rows["example_index"].append(index)
        rows["char_starts"].append(chars[0])
        rows["char_ends"].append(chars[1])
    one_per_window = {"start_positions", "end_positions", "example_index"}
    return QAFeatures(**{
        name: np.asarray(values, np.int32).reshape(
            (-1,) if name in one_per_window else (-1, seq_length))
        for name, values in rows.items()})


def _candidates(features: QAFeatures, start_logits: np.ndarray, end_logits: np.ndarray,
                n_best: int, max_answer_length: int) -> dict[str, np.ndarray]:
    """`span_labeling.span_candidates` of every window, as arrays; a window's context is the
    positions with a character span."""
    in_context = features.char_starts >= 0
    context_start = in_context.argmax(axis=1)
    context_end = context_start + in_context.sum(axis=1)
    spans = span_candidates(start_logits, end_logits, context_start, context_end, n_best,
                            max_answer_length)
    return {name: value.numpy() for name, value in spans.items()}


def decode(examples: Sequence[QAExample], features: QAFeatures, start_logits: np.ndarray,
           end_logits: np.ndarray, n_best: int = DEFAULTS["n_best"],
           max_answer_length: int = DEFAULTS["max_answer_length"],
           version_2: bool = DEFAULTS["version_2_with_negative"],
           null_score_threshold: float = DEFAULTS["null_score_threshold"]) -> list[Answer]:
    """The best answer of each example from the span logits of its windows (`[windows, seq]`).

    Candidates are the valid spans among the top `n_best` start and end positions of every
    window (`span_labeling.span_candidates`, on the logits as float64), scored start + end
    logit; the best over all windows wins (the first window's on equal scores). With
    `version_2`, the no-answer score is the lowest [CLS] score over the windows, and the answer
    is "" when no span is valid or that score exceeds the best span's by more than
    `null_score_threshold` (`span_labeling.prefers_null`). Probabilities are a softmax over
    the `n_best` best distinct answers (and no answer).
    """
    shape = features.input_word_ids.shape
    start_logits = np.asarray(start_logits, np.float64)
    end_logits = np.asarray(end_logits, np.float64)
    if start_logits.shape != shape or end_logits.shape != shape:
        raise ValueError(f"expected start and end logits of shape {shape} (windows, seq), got "
                         f"{start_logits.shape} and {end_logits.shape}")
    spans = _candidates(features, start_logits, end_logits, n_best, max_answer_length)
    top_starts, top_ends, scores = spans["starts"], spans["ends"], spans["scores"]
    splits = np.searchsorted(features.example_index, np.arange(len(examples) + 1))
    answers = []
    for index, example in tracked(enumerate(examples), len(examples), "decoding", "questions"):
        own = slice(splits[index], splits[index + 1])  # the example's windows
        window, i, j = np.nonzero(spans["valid"][own])
        window += own.start
        score = scores[window, i, j]
        best: dict[str, tuple[float, int, int]] = {}  # text -> (score, start, end), best first
        for choice in np.argsort(-score, kind="stable"):
            w = window[choice]
            start = int(features.char_starts[w, top_starts[w, i[choice]]])
            end = int(features.char_ends[w, top_ends[w, j[choice]]])
            best.setdefault(example.context[start:end], (float(score[choice]), start, end))
            if len(best) == n_best:
                break
        if version_2 and own.stop > own.start:
            null = (float(spans["null"][own].min()), 0, 0)
            best_score = next(iter(best.values()))[0] if best else -math.inf
            if prefers_null(null[0], best_score, null_score_threshold):
                best = {"": null, **best}
            else:
                best[""] = null
        if not best:
            answers.append(Answer("", 0.0, float("-inf")))
            continue
        text, (top, start, end) = next(iter(best.items()))
        candidate_scores = np.asarray([value[0] for value in best.values()])
        weights = np.exp(candidate_scores - candidate_scores.max())
        answers.append(Answer(text, float(weights[0] / weights.sum()), top, start, end))
    return answers
