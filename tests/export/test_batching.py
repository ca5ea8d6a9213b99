"""bert_keras.export.batching: rows batched by length, outputs back in the rows' order."""

import numpy as np
import pytest

from bert_keras.export.batching import length_order, predict_batched


def test_batches_hold_rows_of_similar_length_and_outputs_keep_the_input_order():
    texts = ["a" * n for n in (9, 1, 7, 3, 8, 2)]
    seen = []

    def predict(batch):
        seen.append([len(text) for text in batch["text"]])
        return {"length": np.array([len(text) for text in batch["text"]]),
                "pair": np.array([[len(t), len(u)] for t, u in zip(batch["text"], batch["b"])])}

    outputs = predict_batched(predict, {"text": texts, "b": ["x"] * 6}, batch_size=2)
    assert seen == [[1, 2], [3, 7], [8, 9]]
    assert outputs["length"].tolist() == [9, 1, 7, 3, 8, 2]
    assert outputs["pair"].tolist() == [[n, 1] for n in (9, 1, 7, 3, 8, 2)]
    in_order = predict_batched(predict, {"text": texts, "b": ["x"] * 6}, 4, by_length=False)
    assert seen[-2:] == [[9, 1, 7, 3], [8, 2]] and in_order["length"].tolist() == [9, 1, 7, 3, 8, 2]


def test_length_counts_every_column_and_ties_keep_their_order():
    assert length_order({"a": ["xx", "x", "x"], "b": ["", "y", "yy"]}).tolist() == [0, 1, 2]
    assert length_order({"a": ["xxx", "x"], "b": ["", "y"]}).tolist() == [1, 0]


@pytest.mark.parametrize("inputs, batch_size, message", [
    ({"a": ["x"], "b": ["x", "y"]}, 2, "input columns differ in length: {'a': 1, 'b': 2}"),
    ({"a": ["x"]}, 0, "batch_size must be positive, got 0"),
])
def test_bad_calls_say_what_is_wrong(inputs, batch_size, message):
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        predict_batched(lambda batch: {}, inputs, batch_size)
