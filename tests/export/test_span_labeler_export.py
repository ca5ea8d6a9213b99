"""The span labeler's (QA) serving signature: windows and decoding in the graph."""

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.data import QAExample
from export.run_dir import load_trained
from export.span_labeler import span_labeler_outputs
from training.tasks.qa import QARecipe

from conftest import FRESH_PROCESS_INPUTS

INPUTS = FRESH_PROCESS_INPUTS["squad"]


def reference_answers(trained, options):
    """Answers of the training recipe's Python decoding (`qa_decoding.decode`), and the
    number of windows of each question."""
    recipe = QARecipe.from_options(options)
    records = [QAExample(str(i), "", context, question, [], [], False)
               for i, (question, context) in enumerate(zip(INPUTS["question"],
                                                           INPUTS["context"]))]
    features = recipe.features(records, trained.tokenizer, trained.seq_length)
    windows = np.bincount(features.example_index, minlength=len(records))
    return recipe.answers(trained.model, records, trained.tokenizer, trained.seq_length), windows


def test_exported_answers_in_a_fresh_process_match_the_recipe(trained_runs,
                                                             fresh_process_outputs):
    trained = load_trained(trained_runs("squad"))
    outputs = dict(fresh_process_outputs["squad"])
    answers, windows = reference_answers(trained, trained.task["options"])

    assert outputs.pop("_repo_modules").tolist() == []  # only tensorflow and tensorflow_text
    assert outputs["windows"].tolist() == windows.tolist()
    assert windows[0] > 5  # the long context really takes several windows
    assert [a.decode() for a in outputs["answer"]] == [answer.text for answer in answers]
    np.testing.assert_allclose(outputs["score"], [answer.score for answer in answers],
                               atol=1e-5)
    for context, answer, start, end in zip(INPUTS["context"], outputs["answer"],
                                           outputs["start"], outputs["end"]):
        assert context[start:end] == answer.decode() if answer else start == end == -1
    assert outputs["answer"][2] == b"" and outputs["score"][2] == -np.inf  # empty context


def test_squad_2_null_answers_match_the_recipe(trained_runs):
    trained = load_trained(trained_runs("squad"))
    options = {**trained.task["options"], "version_2_with_negative": True}
    # A threshold between the examples' null-minus-best margins gives both kinds of answer.
    spans, _ = reference_answers(trained, trained.task["options"])
    nulls, _ = reference_answers(trained, {**options, "null_score_threshold": -1e9})
    margins = sorted(null.score - span.score for null, span in zip(nulls[:2], spans[:2]))
    options["null_score_threshold"] = float(np.mean(margins))
    expected, _ = reference_answers(trained, options)

    answer = span_labeler_outputs(trained, options)
    outputs = answer(tf.constant(INPUTS["question"]), tf.constant(INPUTS["context"]))

    assert [a.decode() for a in outputs["answer"].numpy()] == [a.text for a in expected]
    assert sorted(a.text == "" for a in expected[:2]) == [False, True]
    np.testing.assert_allclose(outputs["score"], [a.score for a in expected], atol=1e-5)


def test_no_room_for_the_context_is_a_clear_error(trained_runs):
    trained = load_trained(trained_runs("squad"))
    with pytest.raises(ValueError, match="leaves no room for the context"):
        span_labeler_outputs(trained, {"max_query_length": trained.seq_length})
