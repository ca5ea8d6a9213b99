"""Tiny fine-tuned runs (one per kind of model) and their exports, shared by the export tests."""

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


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory):
    """`{task: run_dir}` of tiny models fine-tuned for a few steps, made on first use."""
    from bert_keras.training.finetune import finetune
    from bert_keras.training.options import FinetuneOptions

    base = tmp_path_factory.mktemp("runs")
    runs = {}

    def run_dir(task: str) -> str:
        if task not in runs:
            train, dev = FILES[task]
            runs[task] = str(base / task)
            settings = {"seq_length": 32, **SETTINGS.get(task, {})}
            finetune(task, "random:tiny", runs[task], train_file=str(TASKS / train),
                     dev_file=str(TASKS / dev), vocab=VOCAB, verbose=0,
                     task_options=settings.get("task_options"),
                     options=FinetuneOptions(seq_length=settings["seq_length"], batch_size=16,
                                             epochs=1, learning_rate=1e-3))
        return runs[task]
    return run_dir


@pytest.fixture(scope="session")
def exported(trained_runs, tmp_path_factory):
    """`{task: version_dir}`: each run exported once as version 1 of `models/<task>`."""
    from bert_keras.export.saved_model import export_model

    base = tmp_path_factory.mktemp("models")
    versions = {}

    def version_dir(task: str) -> str:
        if task not in versions:
            versions[task] = export_model(trained_runs(task), str(base / task)).path
        return versions[task]
    return version_dir
