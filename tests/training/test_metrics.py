"""Metrics against hand-computed values: classification, correlations, entities, SQuAD."""

from __future__ import annotations

import doctest
import math
import warnings

import pytest

from bert_keras.data import gold_answers, read_conll, read_squad
from bert_keras.training import metrics
from bert_keras.training.metrics import (accuracy, answer_exact_match, answer_f1, binary_f1,
                                         entity_scores, matthews_corrcoef, metrics_for_task,
                                         normalize_answer, pearson, spearman, squad_v1_scores,
                                         squad_v2_scores)
from task_samples import SHARED_DATA, needs_shared_data


@pytest.fixture(autouse=True)
def _reset_keras_state():
    """Replaces tests/conftest.py's per-test Keras reset (~0.3 s each): metrics use no Keras."""
    yield



# TP = 2, FN = 1, FP = 1, TN = 1 for class 1.
LABELS = [1, 1, 1, 0, 0]
PREDICTIONS = [1, 1, 0, 0, 1]


def test_accuracy_and_input_checks():
    assert accuracy(LABELS, PREDICTIONS) == 0.6
    with pytest.raises(ValueError, match="same length"):
        accuracy([1, 0], [1])
    with pytest.raises(ValueError, match="No labels"):
        accuracy([], [])


def test_binary_f1_positive_class():
    assert binary_f1(LABELS, PREDICTIONS) == pytest.approx(4 / 6)  # 2TP / (2TP + FP + FN)
    assert binary_f1(LABELS, PREDICTIONS, positive=0) == pytest.approx(2 / 4)
    assert binary_f1([0, 0], [0, 0]) == 0.0


def test_matthews_corrcoef_by_hand():
    # Binary: (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (2 − 1) / sqrt(3·3·2·2).
    assert matthews_corrcoef(LABELS, PREDICTIONS) == pytest.approx(1 / 6)
    # Three classes: rows (labels) [1 1 0], [0 2 0], [1 0 1]; c = 4, s = 6, t = (2, 2, 2),
    # p = (2, 3, 1): (4·6 − 12) / sqrt((36 − 14)(36 − 12)).
    mcc = matthews_corrcoef(["a", "a", "b", "b", "c", "c"], ["a", "b", "b", "b", "c", "a"])
    assert mcc == pytest.approx(12 / math.sqrt(22 * 24))
    assert matthews_corrcoef([0, 1, 0, 1], [0, 1, 0, 1]) == 1.0
    assert matthews_corrcoef([0, 1, 0, 1], [1, 0, 1, 0]) == -1.0
    assert matthews_corrcoef([0, 1, 0, 1], [1, 1, 1, 1]) == 0.0  # undefined


def test_pearson_and_spearman_with_ties():
    # Deviations (-1.5, -.5, .5, 1.5) and (-1.5, .5, -.5, 1.5): 4 / sqrt(5 · 5).
    assert pearson([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    # Ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): 4.5 / sqrt(4.5 · 5).
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(math.sqrt(0.9))
    # Ties on both sides: ranks (1, 2.5, 2.5, 4) and (3.5, 3.5, 1.5, 1.5): -3 / sqrt(4.5 · 4).
    assert spearman([1, 2, 2, 3], [5, 5, 1, 1]) == pytest.approx(-3 / math.sqrt(18))
    assert spearman([1.0, 2.0, 3.0], [1.0, 4.0, 9.0]) == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(pearson([1, 2, 3], [2, 2, 2]))
        assert math.isnan(spearman([3, 3], [1, 2]))


def test_entity_scores_default_and_strict():
    tags = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"], ["B-ORG", "O"]]
    predicted = [["B-PER", "I-PER", "O", "B-LOC", "O", "O"], ["I-ORG", "O"]]
    # Gold: PER, LOC (2 words), ORG. Predicted: PER (right), LOC (1 word: wrong span) and, as
    # conlleval reads an I- after O, ORG (right): 2 of 3 both ways.
    lenient = entity_scores(tags, predicted)
    assert lenient == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    # Strict IOB2: a lone I-ORG opens no entity, so 1 right of 2 predicted, of 3 gold.
    strict = entity_scores(tags, predicted, strict=True)
    assert strict == pytest.approx({"precision": 1 / 2, "recall": 1 / 3, "f1": 0.4})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        none_found = entity_scores(tags, [["O"] * 6, ["O", "O"]])
    assert none_found == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


@needs_shared_data
def test_entity_scores_on_conll2003_dev():
    path = SHARED_DATA / "conll2003" / "eng.testa"
    tags = [s.tags for s in read_conll(path).sentences]
    # The file's own IOB1 tags, read the way conlleval reads them, give the same 5942 entities.
    iob1, sentence = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line and not line.startswith("-DOCSTART-"):
            sentence.append(line.split()[-1])
        elif sentence:
            iob1.append(sentence)
            sentence = []
    assert entity_scores(tags, iob1) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert entity_scores(tags, tags, strict=True)["f1"] == 1.0
    # Dropping every MISC entity from the predictions: recall (5942 - 922) / 5942.
    no_misc = [[tag if not tag.endswith("MISC") else "O" for tag in s] for s in tags]
    scores = entity_scores(tags, no_misc)
    assert (scores["precision"], scores["recall"]) == (1.0, pytest.approx(5020 / 5942))


@pytest.mark.parametrize(
    "text, normalized",
    [
        ("The Cat", "cat"),
        ("an apple, a pear and THE plum.", "apple pear and plum"),
        ("theater anthem", "theater anthem"),  # articles only as whole words
        ("A.B.C.", "abc"),  # punctuation goes first: no article left to remove
        ("Anna's   \t (1843)", "annas 1843"),
        ("well–known", "well–known"),  # only ASCII punctuation, as in the official script
    ],
)
def test_normalize_answer(text, normalized):
    assert normalize_answer(text) == normalized


def test_answer_exact_match_and_f1():
    assert answer_exact_match("The Broncos.", ["Denver Broncos", "broncos"]) == 1.0
    assert answer_exact_match("Broncos team", ["Denver Broncos"]) == 0.0
    # "big red dog" vs "red dog barked": 2 shared tokens, P = R = 2/3.
    assert answer_f1("the big red dog", ["a red dog barked"]) == pytest.approx(2 / 3)
    # Repeated tokens count once each: "x x y" vs "x y y" share one x and one y.
    assert answer_f1("x x y", ["x y y"]) == pytest.approx(2 / 3)
    # Max over gold answers: 0.5 against "Denver" (P 1/2, R 1), 2/3 against "Denver Broncos".
    assert answer_f1("Denver team", ["Denver", "Denver Broncos"]) == pytest.approx(2 / 3)
    assert answer_f1("", ["Denver"]) == 0.0
    assert (answer_exact_match("", []), answer_f1("", [])) == (1.0, 1.0)
    assert (answer_exact_match("Denver", []), answer_f1("Denver", [])) == (0.0, 0.0)


def test_squad_v1_scores():
    gold = {"q1": ["Denver Broncos", "The Broncos"], "q2": ["in 1843"], "q3": ["Paris"]}
    predictions = {"q1": "broncos", "q2": "1843", "extra": "ignored"}  # q3 missing: scores 0
    # q1: EM 1, F1 1. q2: EM 0, F1 2·(1·½)/(1½) = 2/3. q3: 0.
    scores = squad_v1_scores(gold, predictions)
    assert scores == pytest.approx({"exact_match": 100 / 3, "f1": 100 * (1 + 2 / 3) / 3})
    with pytest.raises(ValueError, match="'q' has no gold answer"):
        squad_v1_scores({"q": []}, {"q": ""})


def test_squad_v2_scores_with_breakdown():
    gold = {"a1": ["Ada Lovelace"], "a2": ["1843"], "n1": [], "n2": []}
    predictions = {"a1": "Lovelace", "a2": "1843", "n1": "", "n2": "in 1843"}
    # a1: EM 0, F1 2/3 (P 1, R 1/2); a2: 1, 1; n1: 1, 1; n2: 0, 0.
    assert squad_v2_scores(gold, predictions) == pytest.approx({
        "exact_match": 50.0, "f1": 100 * (2 / 3 + 2) / 4, "total": 4,
        "has_answer_exact_match": 50.0, "has_answer_f1": 100 * (2 / 3 + 1) / 2,
        "has_answer_total": 2,
        "no_answer_exact_match": 50.0, "no_answer_f1": 50.0, "no_answer_total": 2,
    })
    assert set(squad_v2_scores({"a": ["x"]}, {})) == {"exact_match", "f1", "total",
                                                      "has_answer_exact_match", "has_answer_f1",
                                                      "has_answer_total"}


def test_gold_answer_that_normalizes_to_nothing_v1_and_v2():
    # v1.1 keeps the answer "The": "a" matches it exactly but shares no token (F1 0);
    # v2.0 drops it, so the question counts as unanswerable and "" / "a" match it fully.
    assert squad_v1_scores({"q": ["The"]}, {"q": "a"}) == {"exact_match": 100.0, "f1": 0.0}
    v2 = squad_v2_scores({"q": ["The"]}, {"q": "a"})
    assert (v2["exact_match"], v2["f1"], v2["has_answer_total"]) == (100.0, 100.0, 1)


@needs_shared_data
def test_squad_v1_scores_on_the_shared_subset():
    examples = read_squad(SHARED_DATA / "squad_v1.1_train_subset"
                          / "train-v1.1-subset-44articles.json")
    gold = gold_answers(examples)
    perfect = {e.id: f"The {e.answer_texts[0]}." for e in examples}
    assert squad_v1_scores(gold, perfect) == {"exact_match": 100.0, "f1": 100.0}
    half = dict(list(perfect.items())[: len(perfect) // 2])
    assert squad_v1_scores(gold, half)["exact_match"] == pytest.approx(100 * 5938 / 11877)


def test_metrics_for_task():
    assert list(metrics_for_task("CoLA")) == ["matthews_corrcoef"]
    assert list(metrics_for_task("sst-2")) == ["accuracy"]
    assert metrics_for_task("MRPC")["f1"](LABELS, PREDICTIONS) == pytest.approx(4 / 6)
    assert list(metrics_for_task("sts_b")) == ["pearson", "spearman"]
    ner = metrics_for_task("ner")
    assert ner["f1"]([["B-PER", "O"]], [["B-PER", "O"]]) == 1.0
    squad = metrics_for_task("squad_v1.1")
    assert squad["exact_match"]({"q": ["Paris"]}, {"q": "paris"}) == 100.0
    assert metrics_for_task("squad_v2")["f1"]({"q": []}, {"q": ""}) == 100.0
    with pytest.raises(ValueError, match="Unknown task 'imdb'"):
        metrics_for_task("imdb")


def test_docstring_examples():
    # training/ is outside pytest's doctest paths: run its examples here.
    result = doctest.testmod(metrics)
    assert result.attempted > 10 and result.failed == 0
