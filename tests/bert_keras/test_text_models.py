"""Raw-string models: every input form, pairs, tagging and QA shapes, `.keras` round trips in a
fresh process with only `import bert_keras`, and clear errors on wrong inputs."""

import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_keras import BertConfig
from bert_keras.models import bert_encoder
from bert_keras.text import BertTokenizer
from bert_keras.text_models import (BertTextModel, text_classifier, text_span_labeler,
                                    text_tagger)

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film", "a", "plot"]
TEXTS = ["a good film", "a bad plot", "good plot", "bad film"] * 4
LABELS = [1, 0, 1, 0] * 4


@pytest.fixture
def classifier():
    encoder = bert_encoder(BertConfig.preset("tiny", vocab_size=len(VOCAB)))
    model = text_classifier(encoder, BertTokenizer(VOCAB), ["negative", "positive"],
                            seq_length=16)
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def test_fit_evaluate_and_predict_take_every_form_of_text(classifier):
    history = classifier.fit(TEXTS, LABELS, epochs=2, batch_size=4, verbose=0,
                             validation_data=(np.array(TEXTS[:4]), np.array(LABELS[:4])))
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    assert len(classifier.evaluate(np.array(TEXTS, dtype=object), LABELS, verbose=0)) == 2
    expected = classifier.predict(TEXTS[:2], verbose=0)
    for texts in (np.array(TEXTS[:2]), np.array(TEXTS[:2], dtype=object),
                  tf.constant(TEXTS[:2]), {"text": TEXTS[:2]},
                  tf.data.Dataset.from_tensor_slices({"text": TEXTS[:2]}).batch(2)):
        np.testing.assert_allclose(classifier.predict(texts, verbose=0), expected, atol=1e-6)
    assert classifier.predict("a good film", verbose=0).shape == (1, 2)


def test_pairs_taggers_and_span_labelers_take_their_texts():
    encoder = bert_encoder(BertConfig.preset("tiny", vocab_size=len(VOCAB)))
    tokenizer = BertTokenizer(VOCAB)
    pair = text_classifier(encoder, tokenizer, None, segments=2, seq_length=16)
    assert pair.kind == "regression"
    assert pair.predict((["good", "bad"], np.array(["film", "plot"])), verbose=0).shape == (2, 1)
    tagger = text_tagger(encoder, tokenizer, ["O", "B-X", "I-X"], seq_length=16)
    assert tagger.predict(["a good film"], verbose=0).shape == (1, 5, 3)  # [CLS] 3 [SEP]
    qa = text_span_labeler(encoder, tokenizer, seq_length=16, options={"doc_stride": 4})
    outputs = qa.predict((["good?"], ["a bad film"]), verbose=0)
    # [CLS] good ? [SEP] a bad film [SEP]
    assert outputs["start_logits"].shape == (1, 8) and qa.options["doc_stride"] == 4


def test_a_keras_file_loads_in_a_fresh_process_with_only_import_bert_keras(classifier, tmp_path):
    classifier.fit(TEXTS, LABELS, epochs=1, verbose=0)
    path = tmp_path / "classifier.keras"
    classifier.save(path)
    script = ("import sys, numpy as np, keras, bert_keras\n"
              "model = keras.saving.load_model(sys.argv[1])\n"
              "print(type(model).__name__, model.label_names)\n"
              "np.save(sys.argv[2], model.predict(np.array(sys.argv[3:]), verbose=0))\n")
    done = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "out.npy"),
                           *TEXTS[:3]], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "BertTextModel ('negative', 'positive')" in done.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"),
                                  classifier.predict(TEXTS[:3], verbose=0))


@pytest.mark.parametrize("texts, message", [
    ([1, 2], "input 'text': expected strings, got list"),
    ([["a", "b"]], "input 'text': expected a flat list of strings, got shape (1, 2)"),
    ((["a"], ["b"]), "takes 1 text input(s) (text)"),
])
def test_wrong_inputs_are_named(classifier, texts, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        classifier.predict(texts, verbose=0)


def test_a_pair_model_refuses_one_text_and_unequal_lengths():
    encoder = bert_encoder(BertConfig.preset("tiny", vocab_size=len(VOCAB)))
    pair = text_classifier(encoder, BertTokenizer(VOCAB), ["no", "yes"], segments=2)
    with pytest.raises(ValueError, match=r"takes 2 text input\(s\) \(text_a, text_b\)"):
        pair.predict(["a"], verbose=0)
    with pytest.raises(ValueError, match=r"different lengths: \[2, 1\]"):
        pair.predict((["a", "b"], ["c"]), verbose=0)
    with pytest.raises(ValueError, match="kind must be a task model's"):
        BertTextModel(pair.token_model, pair.preprocessor, kind="pretrainer")
