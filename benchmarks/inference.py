"""Benchmark: raw text to class probabilities, ours vs KerasHub vs Hugging Face torch.

One fine-tuned classifier (a `bert-keras finetune` run directory, default the one `make demo`
writes), its weights copied into KerasHub's `BertTextClassifier` and into
`transformers.BertForSequenceClassification` (`benchmarks/peers.py`), timed end to end on the
872 SST-2 dev sentences shipped in the package, same batch size, all three in this process:

- ours: the exported SavedModel's `serving_default` (in-graph tokenization, batches padded to
  their longest sentence);
- KerasHub: `BertTextClassifier.predict` on raw strings with `sequence_length=128` (its
  preprocessor pads to 128), the exact-erf GELU the weights were trained with swapped in for
  KerasHub's tanh approximation, so that predictions can be compared;
- Hugging Face: the fast tokenizer with dynamic padding, then the torch model in inference mode.

Each is run `--repeats` times after a warm-up pass; the best pass counts. Prints a table with
sentences/s and the ratio of ours to each peer, the argmax agreement and the largest
probability difference against ours, and writes it as JSON. Needs `pip install -e ".[bench]"`.

    python benchmarks/inference.py --model runs/demo/sst2_run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from typing import Callable

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import peers  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_text  # noqa: E402,F401  (tokenizer ops of the SavedModel)

from bert_keras.data import read_glue  # noqa: E402
from bert_keras.samples import minilm_path, sample_path  # noqa: E402
from export.run_dir import load_trained  # noqa: E402
from export.saved_model import export_model  # noqa: E402

Predict = Callable[[list[str]], np.ndarray]


def batches(sentences: list[str], size: int) -> list[list[str]]:
    return [sentences[i:i + size] for i in range(0, len(sentences), size)]


def ours(run_dir: str, workdir: str, batch_size: int) -> Predict:
    exported = export_model(run_dir, os.path.join(workdir, "sst2"), warmup_texts=["warm up"])
    serve = tf.saved_model.load(exported.path).signatures["serving_default"]

    def predict(sentences):
        return np.concatenate([serve(text=tf.constant(batch))["probabilities"].numpy()
                               for batch in batches(sentences, batch_size)])
    return predict


def keras_hub(hf_dir: str, model, batch_size: int, seq_length: int) -> Predict:
    import keras

    classifier = peers.keras_hub_classifier(hf_dir, model, sequence_length=seq_length)

    def predict(sentences):
        logits = classifier.predict(np.asarray(sentences), batch_size=batch_size, verbose=0)
        return keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
    return predict


def hugging_face(hf_dir: str, model, batch_size: int, seq_length: int) -> Predict:
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    classifier, tokenizer = peers.hf_classifier(hf_dir, model), peers.hf_tokenizer(hf_dir)

    def predict(sentences):
        outputs = []
        with torch.inference_mode():
            for batch in batches(sentences, batch_size):
                inputs = tokenizer(batch, padding=True, truncation=True, max_length=seq_length,
                                   return_tensors="pt")
                outputs.append(torch.softmax(classifier(**inputs).logits, dim=-1).numpy())
        return np.concatenate(outputs)
    return predict


def timed(predict: Predict, sentences: list[str], repeats: int) -> tuple[float, np.ndarray]:
    """Best wall time of `repeats` passes over `sentences` after a warm-up pass."""
    probabilities = predict(sentences)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict(sentences)
        best = min(best, time.perf_counter() - start)
    return best, probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="runs/demo/sst2_run",
                        help="a bert-keras finetune run directory (classifier)")
    parser.add_argument("--hf-dir", default=None,
                        help="HF directory with the same architecture and vocabulary, for the "
                             "peers' config and tokenizer (default: all-MiniLM-L6-v2)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default="benchmarks/results/inference.json")
    args = parser.parse_args()
    hf_dir = args.hf_dir or minilm_path()
    trained = load_trained(args.model)
    if trained.kind != "classifier" or trained.segments != 1:
        sys.exit(f"{args.model}: a single-sentence classifier run is needed, got {trained.kind}")
    dev = read_glue("SST-2", sample_path("sst2_dev.tsv"))
    sentences = [example.text for example in dev.examples]

    with tempfile.TemporaryDirectory() as workdir:
        systems = {
            "bert-keras SavedModel": ours(args.model, workdir, args.batch_size),
            "KerasHub BertTextClassifier": keras_hub(hf_dir, trained.model, args.batch_size,
                                                     trained.seq_length),
            "HF transformers (torch)": hugging_face(hf_dir, trained.model, args.batch_size,
                                                    trained.seq_length),
        }
        results = {}
        for name, predict in systems.items():
            seconds, probabilities = timed(predict, sentences, args.repeats)
            results[name] = {"seconds": seconds, "sentences_per_second": len(sentences) / seconds,
                             "probabilities": probabilities}
            print(f"{name}: {len(sentences) / seconds:.1f} sentences/s", flush=True)

    reference = results["bert-keras SavedModel"]
    rows = []
    for name, result in results.items():
        agreement = float(np.mean(result["probabilities"].argmax(-1)
                                  == reference["probabilities"].argmax(-1)))
        rows.append({
            "system": name, "sentences_per_second": round(result["sentences_per_second"], 1),
            "ours_speedup": round(reference["sentences_per_second"]
                                  / result["sentences_per_second"], 2),
            "argmax_agreement": agreement,
            "max_probability_difference": float(np.abs(result["probabilities"]
                                                       - reference["probabilities"]).max())})
    print(f"\n{len(sentences)} SST-2 dev sentences, batch {args.batch_size}, seq cap "
          f"{trained.seq_length}, {os.cpu_count()} CPU(s), best of {args.repeats}\n")
    print("| system | sentences/s | ours is x faster | argmax agreement | max prob diff |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['system']} | {row['sentences_per_second']} | {row['ours_speedup']} | "
              f"{row['argmax_agreement']:.1%} | {row['max_probability_difference']:.1e} |")
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as file:
        json.dump({"model": args.model, "sentences": len(sentences),
                   "batch_size": args.batch_size, "seq_length": trained.seq_length,
                   "cpus": os.cpu_count(), "machine": platform.processor() or platform.machine(),
                   "repeats": args.repeats, "rows": rows}, file, indent=2)
        file.write("\n")


if __name__ == "__main__":
    main()
