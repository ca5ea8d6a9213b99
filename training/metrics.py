"""Evaluation metrics of the fine-tuning tasks: plain functions on labels and predictions.

Classification (accuracy, binary F1, Matthews correlation), regression (Pearson, Spearman),
entity-level tagging scores (seqeval) and the official SQuAD v1.1 / v2.0 exact match and F1.
`metrics_for_task` says which of them a task reports. scipy and seqeval are imported on first
use, so importing this module stays fast.

Example:
    >>> metrics = metrics_for_task("mrpc")
    >>> {name: round(fn([1, 0, 1, 1], [1, 0, 0, 1]), 4) for name, fn in metrics.items()}
    {'accuracy': 0.75, 'f1': 0.8}
"""

from __future__ import annotations

import collections
import functools
import re
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

Metric = Callable[[Any, Any], float]


def accuracy(labels: Sequence, predictions: Sequence) -> float:
    """Fraction of predictions equal to their label.

    >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    labels, predictions = _paired(labels, predictions)
    return float(np.mean(labels == predictions))


def binary_f1(labels: Sequence, predictions: Sequence, positive: Any = 1) -> float:
    """F1 of the `positive` class: 2·TP / (2·TP + FP + FN); 0.0 when it never occurs.

    >>> binary_f1([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    >>> binary_f1(["yes", "no", "no"], ["no", "no", "no"], positive="no")
    0.8
    """
    labels, predictions = _paired(labels, predictions)
    true_positive = np.sum((labels == positive) & (predictions == positive))
    wrong = np.sum((labels == positive) != (predictions == positive))
    denominator = 2 * true_positive + wrong
    return float(2 * true_positive / denominator) if denominator else 0.0


def matthews_corrcoef(labels: Sequence, predictions: Sequence) -> float:
    """Matthews correlation coefficient (multi-class form); 0.0 when undefined.

    With the confusion matrix C (rows: labels), c = trace, s = total, t = row sums,
    p = column sums: (c·s − t·p) / sqrt((s² − p·p)(s² − t·t)).

    >>> round(matthews_corrcoef([1, 1, 1, 0, 0], [1, 1, 0, 0, 1]), 4)
    0.1667
    """
    labels, predictions = _paired(labels, predictions)
    classes, indices = np.unique(np.concatenate([labels, predictions]), return_inverse=True)
    confusion = np.zeros((len(classes), len(classes)), dtype=np.float64)
    np.add.at(confusion, (indices[: len(labels)], indices[len(labels):]), 1)
    true_counts, predicted_counts = confusion.sum(axis=1), confusion.sum(axis=0)
    correct, total = np.trace(confusion), confusion.sum()
    covariance = correct * total - true_counts @ predicted_counts
    variance = ((total**2 - predicted_counts @ predicted_counts)
                * (total**2 - true_counts @ true_counts))
    return float(covariance / np.sqrt(variance)) if variance > 0 else 0.0


def pearson(labels: Sequence[float], predictions: Sequence[float]) -> float:
    """Pearson correlation; NaN when either side is constant.

    >>> pearson([1, 2, 3], [2, 4, 7])
    0.9933992677987828
    """
    from scipy import stats

    labels, predictions = _paired(labels, predictions, numeric=True)
    if _constant(labels, predictions):
        return float("nan")
    return float(stats.pearsonr(labels, predictions).statistic)


def spearman(labels: Sequence[float], predictions: Sequence[float]) -> float:
    """Spearman rank correlation (ties get their average rank); NaN when either side is constant.

    >>> round(spearman([1, 2, 3, 4], [10, 30, 20, 40]), 6)
    0.8
    """
    from scipy import stats

    labels, predictions = _paired(labels, predictions, numeric=True)
    if _constant(labels, predictions):
        return float("nan")
    return float(stats.spearmanr(labels, predictions).statistic)


def entity_scores(
    tags: Sequence[Sequence[str]], predicted_tags: Sequence[Sequence[str]], strict: bool = False
) -> dict[str, float]:
    """Entity-level micro precision, recall and F1 over IOB2 tag sequences (seqeval).

    An entity counts when its type and span match exactly. `strict=False` is conlleval's
    reading (an `I-X` after `O` still opens an entity); `strict=True` applies the IOB2 rules
    (such an `I-X` is no entity). Scores with nothing to divide by are 0.

    >>> entity_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]])
    {'precision': 0.5, 'recall': 0.5, 'f1': 0.5}
    """
    from seqeval import metrics, scheme

    tags, predicted_tags = [list(t) for t in tags], [list(t) for t in predicted_tags]
    options: dict[str, Any] = {"zero_division": 0}
    if strict:
        options.update(mode="strict", scheme=scheme.IOB2)
    return {
        "precision": float(metrics.precision_score(tags, predicted_tags, **options)),
        "recall": float(metrics.recall_score(tags, predicted_tags, **options)),
        "f1": float(metrics.f1_score(tags, predicted_tags, **options)),
    }


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD answer normalization: lowercase, drop ASCII punctuation and the articles a/an/the,
    collapse whitespace.

    >>> normalize_answer("  The Eiffel-Tower, in  PARIS! ")
    'eiffeltower in paris'
    """
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def answer_exact_match(prediction: str, gold_answers: Sequence[str]) -> float:
    """1.0 when the normalized prediction equals a normalized gold answer (SQuAD v2.0 rules:
    gold answers that normalize to nothing are dropped; none left means unanswerable, which
    only the empty prediction matches).

    >>> answer_exact_match("the Denver Broncos", ["Denver Broncos", "Broncos"])
    1.0
    >>> answer_exact_match("", [])
    1.0
    """
    return max(_exact(prediction, gold) for gold in _v2_gold(gold_answers))


def answer_f1(prediction: str, gold_answers: Sequence[str]) -> float:
    """Best token-overlap F1 of the normalized prediction against the gold answers (SQuAD v2.0
    rules: against an unanswerable question, or for an empty prediction, 1.0 only when both are
    empty).

    >>> answer_f1("Denver Broncos team", ["the Broncos", "Denver"])
    0.5
    """
    return max(_f1(prediction, gold, v2=True) for gold in _v2_gold(gold_answers))


def squad_v1_scores(
    gold: Mapping[str, Sequence[str]], predictions: Mapping[str, str]
) -> dict[str, float]:
    """The official SQuAD v1.1 evaluation: exact match and F1, ×100, averaged over `gold`.

    Args:
        gold: question id -> gold answer texts (`bert_keras.data.gold_answers(examples)`).
        predictions: question id -> predicted answer text; a missing id scores 0, ids that are
            not in `gold` are ignored (as in the official script).

    >>> squad_v1_scores({"q1": ["Denver Broncos"], "q2": ["1843", "in 1843"]},
    ...                 {"q1": "The Denver Broncos!", "q2": "1843 and 1844"})
    {'exact_match': 50.0, 'f1': 75.0}
    """
    if not gold:
        raise ValueError("No gold questions to score")
    exact = f1 = 0.0
    for qid, answers in gold.items():
        if not answers:
            raise ValueError(f"Question {qid!r} has no gold answer: SQuAD v1.1 needs one "
                             "(use squad_v2_scores for unanswerable questions)")
        if qid in predictions:
            exact += max(_exact(predictions[qid], answer) for answer in answers)
            f1 += max(_f1(predictions[qid], answer, v2=False) for answer in answers)
    return {"exact_match": 100.0 * exact / len(gold), "f1": 100.0 * f1 / len(gold)}


def squad_v2_scores(
    gold: Mapping[str, Sequence[str]], predictions: Mapping[str, str]
) -> dict[str, float]:
    """The official SQuAD v2.0 evaluation (without no-answer thresholds), ×100.

    An empty gold answer list marks an unanswerable question, answered correctly by the empty
    prediction. Returns `exact_match`, `f1`, `total` and, where such questions exist, the same
    three for `has_answer_*` and `no_answer_*` questions (the official `HasAns_*`/`NoAns_*`).
    A missing prediction scores 0 (the official script would stop).

    >>> squad_v2_scores({"q1": ["Ada"], "q2": []}, {"q1": "Ada", "q2": "Ada"})["no_answer_f1"]
    0.0
    """
    if not gold:
        raise ValueError("No gold questions to score")
    groups: dict[str, list[tuple[float, float]]] = {"has_answer": [], "no_answer": []}
    for qid, answers in gold.items():
        scores = (0.0, 0.0)
        if qid in predictions:
            scores = (answer_exact_match(predictions[qid], answers),
                      answer_f1(predictions[qid], answers))
        groups["has_answer" if answers else "no_answer"].append(scores)
    result = _mean_scores("", groups["has_answer"] + groups["no_answer"])
    for name, scores in groups.items():
        if scores:
            result.update(_mean_scores(f"{name}_", scores))
    return result


def metrics_for_task(task: str) -> dict[str, Metric]:
    """The metrics a task reports, by name; each takes (labels, predictions) and returns a float.

    Tasks: the GLUE tasks (cola, sst2, mrpc, qqp, stsb, mnli, qnli, rte, wnli), "conll2003"
    (or "ner"), "squad" (v1.1) and "squad_v2" (labels: question id -> gold answers,
    predictions: question id -> text), and the generic "classification" and "regression".

    >>> sorted(metrics_for_task("STS-B"))
    ['pearson', 'spearman']
    """
    key = re.sub(r"[-_.\s]", "", task.lower())
    key = _TASK_ALIASES.get(key, key)
    if key not in _TASK_METRICS:
        raise ValueError(f"Unknown task {task!r}: expected one of {', '.join(_TASK_METRICS)}")
    return dict(_TASK_METRICS[key])


def _paired(labels: Sequence, predictions: Sequence, numeric: bool = False):
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.ndim != 1 or labels.shape != predictions.shape:
        raise ValueError(f"labels and predictions must be 1-D and of the same length, got "
                         f"shapes {labels.shape} and {predictions.shape}")
    if not len(labels):
        raise ValueError("No labels to score")
    if numeric:
        return labels.astype(np.float64), predictions.astype(np.float64)
    return labels, predictions


def _constant(*arrays: np.ndarray) -> bool:
    return any(np.all(array == array[0]) for array in arrays)


def _exact(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def _f1(prediction: str, gold: str, v2: bool) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if v2 and (not predicted or not expected):
        return float(predicted == expected)
    same = sum((collections.Counter(predicted) & collections.Counter(expected)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


def _v2_gold(gold_answers: Sequence[str]) -> list[str]:
    return [answer for answer in gold_answers if normalize_answer(answer)] or [""]


def _mean_scores(prefix: str, scores: list[tuple[float, float]]) -> dict[str, float]:
    return {
        f"{prefix}exact_match": 100.0 * sum(exact for exact, _ in scores) / len(scores),
        f"{prefix}f1": 100.0 * sum(f1 for _, f1 in scores) / len(scores),
        f"{prefix}total": float(len(scores)),
    }


def _pick(scorer: Callable[..., dict[str, float]], name: str, labels: Any, predictions: Any
          ) -> float:
    return scorer(labels, predictions)[name]


def _entity(name: str, tags: Any, predicted_tags: Any) -> float:
    return entity_scores(tags, predicted_tags)[name]


_CLASSIFICATION = {"accuracy": accuracy}
_BINARY = {"accuracy": accuracy, "f1": binary_f1}
_REGRESSION = {"pearson": pearson, "spearman": spearman}
_TASK_METRICS: dict[str, dict[str, Metric]] = {
    "cola": {"matthews_corrcoef": matthews_corrcoef},
    "sst2": _CLASSIFICATION,
    "mrpc": _BINARY,
    "qqp": _BINARY,
    "stsb": _REGRESSION,
    "mnli": _CLASSIFICATION,
    "qnli": _CLASSIFICATION,
    "rte": _CLASSIFICATION,
    "wnli": _CLASSIFICATION,
    "conll2003": {name: functools.partial(_entity, name)
                  for name in ("precision", "recall", "f1")},
    "squad": {name: functools.partial(_pick, squad_v1_scores, name)
              for name in ("exact_match", "f1")},
    "squadv2": {name: functools.partial(_pick, squad_v2_scores, name)
                for name in ("exact_match", "f1")},
    "classification": _CLASSIFICATION,
    "regression": _REGRESSION,
}
_TASK_ALIASES = {"ner": "conll2003", "squadv11": "squad", "squadv1": "squad",
                 "squadv20": "squadv2"}
