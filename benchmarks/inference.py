"""Benchmark: raw text to class probabilities, ours vs KerasHub vs Hugging Face torch.

One fine-tuned classifier (a `bert-keras finetune` run directory, default the one `make demo`
writes), its weights copied into KerasHub's `BertTextClassifier` and into
`transformers.BertForSequenceClassification` (`benchmarks/peers.py`), timed end to end on the
872 SST-2 dev sentences shipped in the package, same batch size, each system in its own
process (`common.py`, which also gives its peak resident memory):

- ours: the exported SavedModel's `serving_default` (in-graph tokenization, each request
  padded to its longest sentence), fed through `bert_keras.export.batching.predict_batched`, which
  groups sentences of similar length into a batch (as `PredictionClient.predict_many` does);
- KerasHub: `BertTextClassifier.predict` on raw strings with `sequence_length=128` (its
  preprocessor pads to 128), the exact-erf GELU the weights were trained with swapped in for
  KerasHub's tanh approximation, so that predictions can be compared;
- Hugging Face: the fast tokenizer with dynamic padding, then the torch model in inference
  mode, batches in dataset order; and, for reference, the same with our length-sorted
  batches (`--hf-sorted`), which separates the batching from the engine.

Each is run `--repeats` times after a warm-up pass; the best pass counts. Prints a table with
sentences/s, the ratio of ours to each peer, the argmax agreement and the largest probability
difference against ours and the peak RSS, and writes it as JSON. Needs
`pip install -e ".[bench]"`.

    python benchmarks/inference.py --model runs/demo/sst2_run
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Callable

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import (SAMPLES, minilm_dir, print_table, read_sst2, run_system,  # noqa: E402
                    write_results)
from bert_keras.export.batching import predict_batched  # noqa: E402

OURS, KERAS_HUB = "bert-keras SavedModel", "KerasHub BertTextClassifier"
HF, HF_SORTED = "HF transformers (torch)", "HF torch, our length-sorted batches"
PREPARE = "prepare"
Predict = Callable[[list[str]], np.ndarray]


def prepare(args) -> dict:
    """Exports our SavedModel and writes the peers' copies; gives the run's sequence cap."""
    import peers
    from bert_keras.export.run_dir import load_trained
    from bert_keras.export.saved_model import export_model

    run_dir, hf_dir, workdir = args.model, minilm_dir(), args.workdir
    trained = load_trained(run_dir)
    if trained.kind != "classifier" or trained.segments != 1:
        sys.exit(f"{run_dir}: a single-sentence classifier run is needed, got {trained.kind}")
    export_model(run_dir, os.path.join(workdir, "sst2"), version=1, warmup_texts=["warm up"])
    peers.keras_hub_classifier(hf_dir, trained.model).save_to_preset(
        os.path.join(workdir, "keras_hub"))
    peers.hf_classifier(hf_dir, trained.model).save_pretrained(os.path.join(workdir, "hf"))
    peers.hf_tokenizer(hf_dir).save_pretrained(os.path.join(workdir, "hf"))
    return {"seq_length": trained.seq_length}


def ours(workdir: str, batch_size: int, seq_length: int) -> Predict:
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops of the SavedModel)

    serve = tf.saved_model.load(os.path.join(workdir, "sst2", "1")).signatures["serving_default"]

    def predict(sentences):
        return predict_batched(
            lambda batch: {"probabilities": serve(text=tf.constant(batch["text"]))[
                "probabilities"].numpy()}, {"text": sentences}, batch_size)["probabilities"]
    return predict


def keras_hub(workdir: str, batch_size: int, seq_length: int) -> Predict:
    import keras
    import keras_hub

    import peers

    classifier = keras_hub.models.BertTextClassifier.from_preset(
        os.path.join(workdir, "keras_hub"))
    peers.use_exact_gelu(classifier.backbone)
    classifier.preprocessor.sequence_length = seq_length

    def predict(sentences):
        logits = classifier.predict(np.asarray(sentences), batch_size=batch_size, verbose=0)
        return keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
    return predict


def hugging_face(workdir: str, batch_size: int, seq_length: int,
                 by_length: bool = False) -> Predict:
    import torch
    from transformers import BertForSequenceClassification, BertTokenizerFast

    torch.set_num_threads(os.cpu_count() or 1)
    directory = os.path.join(workdir, "hf")
    model = BertForSequenceClassification.from_pretrained(directory, local_files_only=True).eval()
    tokenizer = BertTokenizerFast.from_pretrained(directory, local_files_only=True)

    def batch_probabilities(batch):
        inputs = tokenizer(batch["text"], padding=True, truncation=True, max_length=seq_length,
                           return_tensors="pt")
        return {"probabilities": torch.softmax(model(**inputs).logits, dim=-1).numpy()}

    def predict(sentences):
        with torch.inference_mode():
            return predict_batched(batch_probabilities, {"text": sentences}, batch_size,
                                   by_length=by_length)["probabilities"]
    return predict


def child(args) -> dict:
    """Times one system (in this process) and saves its probabilities next to the result."""
    make = {OURS: ours, KERAS_HUB: keras_hub, HF: hugging_face,
            HF_SORTED: lambda *a: hugging_face(*a, by_length=True)}[args.child]
    predict = make(args.workdir, args.batch_size, args.seq_length)
    sentences, _ = read_sst2(args.dev_file)
    probabilities = predict(sentences)  # warm-up (tracing, first allocations)
    best = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        predict(sentences)
        best = min(best, time.perf_counter() - start)
    np.save(args.result.replace(".json", ".npy"), probabilities)
    return {"seconds": best, "sentences": len(sentences)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="runs/demo/sst2_run",
                        help="a bert-keras finetune run directory (classifier)")
    parser.add_argument("--dev-file", default=os.path.join(SAMPLES, "sst2_dev.tsv"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hf-sorted", action="store_true",
                        help="also time HF with our length-sorted batches")
    parser.add_argument("--output", default="benchmarks/results/inference.json")
    parser.add_argument("--child", choices=(PREPARE, OURS, KERAS_HUB, HF, HF_SORTED),
                        help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--seq-length", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = (prepare if args.child == PREPARE else child)(args)
        with open(args.result, "w", encoding="utf-8") as file:
            json.dump(result, file)
        return

    script = os.path.abspath(__file__)
    systems = (OURS, KERAS_HUB, HF) + ((HF_SORTED,) if args.hf_sorted else ())
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        print("Exporting our SavedModel, copying the weights into KerasHub and HF ...",
              flush=True)
        seq_length = run_system(script, PREPARE, workdir, {"model": args.model})["seq_length"]
        for system in systems:
            print(f"== {system} ==", flush=True)
            results[system] = run_system(script, system, workdir, {
                "dev_file": args.dev_file, "batch_size": args.batch_size,
                "repeats": args.repeats, "seq_length": seq_length})
            results[system]["probabilities"] = np.load(os.path.join(
                workdir, f"{system.replace(' ', '_')}.npy"))
            speed = results[system]["sentences"] / results[system]["seconds"]
            print(f"{system}: {speed:.1f} sentences/s", flush=True)

    reference = results[OURS]
    rows = []
    for name, result in results.items():
        speed = result["sentences"] / result["seconds"]
        rows.append({
            "system": name, "sentences_per_second": round(speed, 1),
            "ours_speedup": round(result["seconds"] / reference["seconds"], 2),
            "argmax_agreement": float(np.mean(result["probabilities"].argmax(-1)
                                              == reference["probabilities"].argmax(-1))),
            "max_probability_difference": float(np.abs(result["probabilities"]
                                                       - reference["probabilities"]).max()),
            "peak_rss_mib": round(result["peak_rss_mib"])})
    print(f"\n{reference['sentences']} SST-2 dev sentences, batch {args.batch_size}, seq cap "
          f"{seq_length}, {os.cpu_count()} CPU(s), best of {args.repeats}\n")
    print_table(("system", "sentences/s", "ours is x faster", "argmax agreement",
                 "max prob diff", "peak RSS MiB"),
                [(row["system"], row["sentences_per_second"], row["ours_speedup"],
                  f"{row['argmax_agreement']:.1%}", f"{row['max_probability_difference']:.1e}",
                  row["peak_rss_mib"]) for row in rows])
    write_results(args.output, {
        "model": args.model, "sentences": reference["sentences"],
        "batch_size": args.batch_size, "seq_length": seq_length, "repeats": args.repeats}, rows)

if __name__ == "__main__":
    main()
