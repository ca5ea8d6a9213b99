"""SQuAD v1.1 and v2.0 JSON files read as question/context examples, and splits by article.

Errors name the file and the JSON path (`data[3].paragraphs[0].qas[2]`) with the question id:
SQuAD files are one long line, so line numbers would not help.

Example:
    >>> import json, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "train.json")
    >>> qas = [{"id": "q1", "question": "Who?", "answers": [{"text": "Ada", "answer_start": 0}]},
    ...        {"id": "q2", "question": "When?", "answers": [], "is_impossible": True,
    ...         "plausible_answers": [{"text": "1843", "answer_start": 13}]}]
    >>> paragraph = {"context": "Ada wrote in 1843.", "qas": qas}
    >>> with open(path, "w") as f:
    ...     json.dump({"version": "v2.0", "data": [{"title": "Ada", "paragraphs": [paragraph]}]}, f)
    >>> first, second = read_squad(path)
    >>> first.answer_texts, first.answer_starts, second.is_impossible, second.answer_texts
    (['Ada'], [0], True, [])
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bert_keras.data.files import DataError, PathLike, read_text


@dataclass(frozen=True, slots=True)
class QAExample:
    """One SQuAD question about one paragraph.

    Attributes:
        id: the question id.
        title: the article title.
        context: the paragraph.
        question: the question.
        answer_texts: the gold answers (several in dev sets; empty when unanswerable).
        answer_starts: character offset of each answer in `context`.
        is_impossible: SQuAD v2.0 unanswerable question (its plausible answers are ignored).
    """

    id: str
    title: str
    context: str
    question: str
    answer_texts: list[str]
    answer_starts: list[int]
    is_impossible: bool


def read_squad(path: PathLike) -> list[QAExample]:
    """Reads a SQuAD v1.1 or v2.0 JSON file, in file order.

    Every answer must be found at its `answer_start`: `context[start:start + len(text)] == text`.
    An answerable question needs at least one answer; an `is_impossible` one none.

    Raises:
        DataError: naming the file and problem: invalid JSON (with its line), a missing key or
            wrong type (with its JSON path and question id), a duplicate id, no answer, or the
            number of answers not at their `answer_start` with the first such question.
    """
    try:
        root = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise DataError(path, e.lineno, f"invalid JSON: {e.msg} (column {e.colno})") from None
    articles = _get(path, root, "data", list, "the top level")
    examples: list[QAExample] = []
    seen: dict[str, str] = {}
    mismatches: list[str] = []
    for i, article in enumerate(articles):
        where = f"data[{i}]"
        title = _get(path, article, "title", str, where)
        for j, paragraph in enumerate(_get(path, article, "paragraphs", list, where)):
            where = f"data[{i}].paragraphs[{j}]"
            context = _get(path, paragraph, "context", str, where)
            for k, qa in enumerate(_get(path, paragraph, "qas", list, where)):
                where = f"data[{i}].paragraphs[{j}].qas[{k}]"
                example = _example(path, qa, title, context, where, mismatches)
                if example.id in seen:
                    raise DataError(path, None, f"{where}: duplicate question id {example.id!r} "
                                                f"(first at {seen[example.id]})")
                seen[example.id] = where
                examples.append(example)
    if mismatches:
        raise DataError(path, None, f"{len(mismatches)} answer(s) are not at their answer_start "
                                    f"in the context; first: {mismatches[0]}")
    if not examples:
        raise DataError(path, None, "no questions")
    return examples


def gold_answers(examples: Sequence[QAExample]) -> dict[str, list[str]]:
    """Question id -> gold answer texts (empty when unanswerable), as SQuAD metrics take them.

    >>> gold_answers([QAExample("q1", "T", "Ada wrote.", "Who?", ["Ada"], [0], False)])
    {'q1': ['Ada']}
    """
    return {example.id: list(example.answer_texts) for example in examples}


def split_by_title(
    examples: Sequence[QAExample], held_out: float, seed: int = 0
) -> tuple[list[QAExample], list[QAExample]]:
    """Splits examples by article, so that no held-out paragraph's article is seen in training.

    Args:
        examples: e.g. from `read_squad`.
        held_out: fraction of the articles (titles) to hold out, rounded, at least one.
        seed: which articles, reproducibly.

    Returns:
        (kept, held_out) examples, each in the input order.

    >>> make = lambda i, title: QAExample(str(i), title, "c", "q?", ["c"], [0], False)
    >>> kept, rest = split_by_title([make(i, t) for i, t in enumerate("AABBBC")], 0.34)
    >>> sorted({e.title for e in kept}), sorted({e.title for e in rest})
    (['A', 'C'], ['B'])
    """
    if not 0 < held_out < 1:
        raise ValueError(f"held_out must be a fraction in (0, 1), got {held_out}")
    titles = list(dict.fromkeys(example.title for example in examples))
    count = max(1, round(held_out * len(titles)))
    if count >= len(titles):
        raise ValueError(f"cannot hold out {count} of {len(titles)} article(s) and keep any")
    chosen = set(random.Random(seed).sample(titles, count))
    kept = [example for example in examples if example.title not in chosen]
    return kept, [example for example in examples if example.title in chosen]


def _example(path: PathLike, qa: Any, title: str, context: str, where: str,
             mismatches: list[str]) -> QAExample:
    qid = _get(path, qa, "id", str, where)
    where = f"{where} (id {qid!r})"
    question = _get(path, qa, "question", str, where)
    answers = _get(path, qa, "answers", list, where)
    impossible = qa.get("is_impossible", False)
    if not isinstance(impossible, bool):
        raise DataError(path, None, f"{where}: 'is_impossible' must be true or false")
    if impossible and answers:
        raise DataError(path, None, f"{where}: is_impossible but has {len(answers)} answer(s)")
    if not impossible and not answers:
        raise DataError(path, None, f"{where}: no answers (and not is_impossible)")
    texts, starts = [], []
    for m, answer in enumerate(answers):
        text = _get(path, answer, "text", str, f"{where}.answers[{m}]")
        start = _get(path, answer, "answer_start", int, f"{where}.answers[{m}]")
        found = context[start:start + len(text)] if start >= 0 else ""
        if found != text:
            mismatches.append(f"question {qid!r} ({where}.answers[{m}]): answer {text!r} but "
                              f"the context has {found!r} at {start}")
        texts.append(text)
        starts.append(start)
    return QAExample(qid, title, context, question, texts, starts, impossible)


def _get(path: PathLike, obj: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict):
        raise DataError(path, None, f"{where}: expected a JSON object, found {type(obj).__name__}")
    if key not in obj:
        raise DataError(path, None, f"{where}: missing key {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise DataError(path, None, f"{where}: {key!r} must be {kind.__name__}, found "
                                    f"{type(value).__name__}")
    return value
