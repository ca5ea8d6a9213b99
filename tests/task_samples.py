"""The task samples shipped in tests/data (tiny GLUE, CoNLL and SQuAD files) and the vocabulary
the tiny test models use, shared by the fine-tuning and export tests; and where the real data
of the project's machines lies (`../shared/data` beside the checkout; a fresh clone lacks it)."""

import pathlib

import pytest

DATA = pathlib.Path(__file__).parent / "data"
SHARED_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared_data = pytest.mark.skipif(not SHARED_DATA.is_dir(),
                                       reason="../shared/data is not present (fresh clone)")
TASKS = DATA / "tasks"
VOCAB = str(DATA / "text" / "bert_uncased_vocab.txt")
# Task name -> (train file, dev file) in TASKS.
FILES = {
    "sst2": ("sst2_train.tsv", "sst2_dev.tsv"),
    "mrpc": ("mrpc_train.tsv", "mrpc_dev.tsv"),
    "rte": ("rte_train.tsv", "rte_dev.tsv"),
    "stsb": ("stsb_sts-train.tsv", "stsb_sts-dev.tsv"),
    "conll2003": ("conll2003_train.txt", "conll2003_dev.txt"),
    "squad": ("squad_v1.1_sample.json", "squad_v1.1_sample.json"),
}
