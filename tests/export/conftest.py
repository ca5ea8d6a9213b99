"""Tiny fine-tuned runs (one per kind of model) and their exports, shared by the export tests."""

import pathlib

import pytest

DATA = pathlib.Path(__file__).parents[1] / "data"
TASKS = DATA / "tasks"
VOCAB = str(DATA / "text" / "bert_uncased_vocab.txt")
FILES = {
    "sst2": ("sst2_train.tsv", "sst2_dev.tsv"),
    "mrpc": ("mrpc_train.tsv", "mrpc_dev.tsv"),
    "stsb": ("stsb_sts-train.tsv", "stsb_sts-dev.tsv"),
}


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory):
    """`{task: run_dir}` of tiny models fine-tuned for a few steps, made on first use."""
    from training.finetune import finetune

    base = tmp_path_factory.mktemp("runs")
    runs = {}

    def run_dir(task: str) -> str:
        if task not in runs:
            train, dev = FILES[task]
            runs[task] = str(base / task)
            finetune(task, "tiny", runs[task], train_file=str(TASKS / train),
                     dev_file=str(TASKS / dev), vocab=VOCAB, seq_length=32, batch_size=16,
                     epochs=1, learning_rate=1e-3, verbose=0)
        return runs[task]
    return run_dir


@pytest.fixture(scope="session")
def exported(trained_runs, tmp_path_factory):
    """`{task: version_dir}`: each run exported once as version 1 of `models/<task>`."""
    from export.saved_model import export_model

    base = tmp_path_factory.mktemp("models")
    versions = {}

    def version_dir(task: str) -> str:
        if task not in versions:
            versions[task] = export_model(trained_runs(task), str(base / task)).path
        return versions[task]
    return version_dir
