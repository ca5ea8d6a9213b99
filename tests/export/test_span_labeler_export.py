"""The span labeler's (QA) serving signature: windows and decoding in the graph."""

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.export.run_dir import load_trained
from bert_keras.export.span_labeler import span_labeler_outputs

from conftest import FRESH_PROCESS_INPUTS
from references import qa_reference

INPUTS = FRESH_PROCESS_INPUTS["squad"]


def test_squad_2_null_answers_match_the_recipe(trained_runs):
    trained = load_trained(trained_runs("squad"))
    options = {**trained.spec.options, "version_2_with_negative": True}
    # A threshold between the examples' null-minus-best margins gives both kinds of answer.
    spans, _ = qa_reference(trained, trained.spec.options, INPUTS)
    nulls, _ = qa_reference(trained, {**options, "null_score_threshold": -1e9}, INPUTS)
    margins = sorted(null.score - span.score for null, span in zip(nulls[:2], spans[:2]))
    options["null_score_threshold"] = float(np.mean(margins))
    expected, _ = qa_reference(trained, options, INPUTS)

    answer = span_labeler_outputs(trained, options)
    outputs = answer(tf.constant(INPUTS["question"]), tf.constant(INPUTS["context"]))

    assert [a.decode() for a in outputs["answer"].numpy()] == [a.text for a in expected]
    assert sorted(a.text == "" for a in expected[:2]) == [False, True]
    np.testing.assert_allclose(outputs["score"], [a.score for a in expected], atol=1e-5)


def test_no_room_for_the_context_is_a_clear_error(trained_runs):
    trained = load_trained(trained_runs("squad"))
    with pytest.raises(ValueError, match="leaves no room for the context"):
        span_labeler_outputs(trained, {**trained.spec.options,
                                       "max_query_length": trained.seq_length})
