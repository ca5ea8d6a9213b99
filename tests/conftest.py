"""Shared test setup: quiet TensorFlow, deterministic seeds, the float32 policy between tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import pytest


@pytest.fixture(autouse=True)
def _reset_keras_state():
    keras.utils.set_random_seed(0)
    yield
    keras.mixed_precision.set_global_policy("float32")
    keras.backend.clear_session()


TINY = dict(vocab_size=99, hidden_size=32, num_layers=2, num_heads=4, intermediate_size=64,
            max_position_embeddings=64)


@pytest.fixture
def tiny_config():
    from bert_keras import BertConfig

    return BertConfig(**TINY)


@pytest.fixture
def make_inputs():
    """Factory for random encoder inputs: padded rows, two segments."""
    import numpy as np

    def make(batch=3, seq=9, vocab=TINY["vocab_size"], seed=0):
        rng = np.random.default_rng(seed)
        lengths = np.linspace(seq, 2, batch).astype(int)
        mask = (np.arange(seq)[None, :] < lengths[:, None]).astype("int32")
        ids = rng.integers(1, vocab, size=(batch, seq)).astype("int32") * mask
        types = ((np.arange(seq)[None, :] >= lengths[:, None] // 2) * mask).astype("int32")
        return {"input_word_ids": ids, "input_mask": mask, "input_type_ids": types}

    return make


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> str:
    """The bert-keras wheel under test: the one in `$BERT_KERAS_DIST` (`make test` builds it
    there first), else one built now with `python -m build`."""
    from packaging_helpers import build_wheel

    dist = os.environ.get("BERT_KERAS_DIST")
    if dist:
        return build_wheel(os.path.join(REPO_ROOT, dist), reuse=True)
    # One build for all test workers: their temporary folders share this parent.
    return build_wheel(str(tmp_path_factory.getbasetemp().parent / "dist"), reuse=True)

