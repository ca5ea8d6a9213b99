"""Tiny fine-tuned runs (one per kind of model) and their exports, shared by the export tests."""

import fcntl
import os
import pathlib
import shutil
from typing import Callable

import pytest

from task_samples import FILES, TASKS, VOCAB

# Short windows, so that the sample's contexts take several.
SETTINGS = {"squad": {"seq_length": 48, "task_options": {"doc_stride": 8, "max_query_length": 12}}}
PAIRS = {"text_a": ["He sold the house.", "Rain is falling."],
         "text_b": ["The house was sold by him.", "A dog barks at the café."]}
# `serving_default` inputs run in a fresh process, by task.
FRESH_PROCESS_INPUTS = {
    "sst2": {"text": ["A gorgeous, moving film.", "Dull and far too long; I left early!",
                      "Élan vital? Ça va."]},
    "mrpc": PAIRS,
    "stsb": PAIRS,
    "conll2003": {"text": ["Angela Merkel met Emmanuel Macron in Paris on Tuesday.", "",
                           "Ça va à Zürich, Müller? " * 5]},  # 35 sub-words: cut to 30
    "squad": {"question": ["Who wrote the first program?", "Wo liegt Zürich?", "Anything?"],
              "context": ["Ada Lovelace wrote the first program for the Analytical Engine, "
                          "a machine that Charles Babbage designed but never finished. " * 3,
                          "Zürich liegt am Zürichsee in der Schweiz; Müller wohnt dort.", ""]},
}


def _shared_root(tmp_path_factory, worker_id: str) -> pathlib.Path:
    """A folder all test workers of this session share (one per session without xdist)."""
    base = tmp_path_factory.getbasetemp()
    root = (base if worker_id == "master" else base.parent) / "export_fixtures"
    root.mkdir(exist_ok=True)
    return root


def _made_once(root: pathlib.Path, name: str, make: Callable[[str], str]) -> str:
    """`make(root/name)`'s result, made by the first test worker that asks and read back by
    the others (a lock serializes them; a failed make leaves nothing behind)."""
    done = root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(root / name, ignore_errors=True)
            done.write_text(make(str(root / name)))
    return done.read_text()


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory, worker_id):
    """`{task: run_dir}` of tiny models fine-tuned for a few steps, made on first use, once per
    test session (shared by the test workers). Tests read them and never change them."""
    root = _shared_root(tmp_path_factory, worker_id)

    def train(task: str, output_dir: str) -> str:
        from bert_keras.training.finetune import finetune
        from bert_keras.training.options import FinetuneOptions

        train_file, dev_file = FILES[task]
        settings = {"seq_length": 32, **SETTINGS.get(task, {})}
        finetune(task, "random:tiny", output_dir, train_file=str(TASKS / train_file),
                 dev_file=str(TASKS / dev_file), vocab=VOCAB, verbose=0,
                 task_options=settings.get("task_options"),
                 options=FinetuneOptions(seq_length=settings["seq_length"], batch_size=16,
                                         epochs=1, learning_rate=1e-3))
        return output_dir

    return lambda task: _made_once(root, f"run_{task}", lambda path: train(task, path))


@pytest.fixture(scope="session")
def exported(trained_runs, tmp_path_factory, worker_id):
    """`{task: version_dir}`: each run exported once per test session as version 1 of
    `models/<task>`. Tests that change a model base copy it first."""
    from bert_keras.export.saved_model import export_model

    root = _shared_root(tmp_path_factory, worker_id)

    def export(task: str, folder: str) -> str:
        # The model's folder is named after the task: warmup requests carry that name.
        return export_model(trained_runs(task), os.path.join(folder, task)).path

    return lambda task: _made_once(root, f"model_{task}", lambda folder: export(task, folder))
