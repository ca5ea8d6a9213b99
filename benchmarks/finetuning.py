"""Benchmark: SST-2 fine-tuning speed and dev accuracy, ours vs KerasHub vs Hugging Face torch.

The same budget for each system: the first `--steps` x `--batch-size` examples of the train
file, one shuffled pass, AdamW (weight decay 0.01 off LayerNorm and biases, epsilon 1e-6,
gradients clipped to global norm 1.0) with 10% linear warm-up then linear decay, float32,
sequences capped at `--seq-length`:

- ours: `bert-keras finetune --task sst2` itself, initialised from all-MiniLM-L6-v2; training
  batches group sentences of similar length and are padded to their longest;
- KerasHub: `BertTextClassifier.fit` on raw strings (its preprocessor pads to
  `--seq-length`), with the exact-erf GELU the weights were trained with;
- Hugging Face: `BertForSequenceClassification` in a plain torch loop, fast tokenizer, each
  shuffled batch padded to its longest sentence.

KerasHub and HF start from the same pretrained weights, and from the classification head our
recipe builds with the same seed (`peers.py` copies it). Each system runs in its own process
(`common.py`), which gives its peak resident memory. Examples/s counts the batches after the
first (tracing); dev accuracy is on the 872 SST-2 dev sentences shipped in the package.
Prints a table and writes it as JSON. Needs `pip install -e ".[bench]"`.

    python benchmarks/finetuning.py --train-file glue_data/SST-2/train.tsv --steps 300
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import (SAMPLES, minilm_dir, print_table, read_sst2, run_child,  # noqa: E402
                    run_system, write_results)

OURS, KERAS_HUB, HF = "bert-keras finetune", "KerasHub fit", "HF torch loop"
PREPARE = "prepare"
WARMUP_RATIO, WEIGHT_DECAY, CLIPNORM, EPSILON = 0.1, 0.01, 1.0, 1e-6


def prepare_child(args) -> dict:
    """Writes the classifier our recipe starts from as a KerasHub preset and an HF directory."""
    import keras

    import peers
    from bert_keras.checkpoints import load_checkpoint
    from bert_keras.training.tasks import get_recipe

    hf_dir = minilm_dir()
    keras.utils.set_random_seed(args.seed)
    _, encoder = load_checkpoint(hf_dir)
    model = get_recipe("sst2", {}).build_model(encoder, ("0", "1"))
    peers.keras_hub_classifier(hf_dir, model).save_to_preset(
        os.path.join(args.workdir, "keras_hub"))
    peers.hf_classifier(hf_dir, model).save_pretrained(os.path.join(args.workdir, "hf"))
    peers.hf_tokenizer(hf_dir).save_pretrained(os.path.join(args.workdir, "hf"))
    return {}


def run_ours(args, hf_dir: str, workdir: str) -> dict:
    output_dir = os.path.join(workdir, "ours")
    child = run_child([os.path.join(os.path.dirname(sys.executable), "bert-keras"), "finetune",
                       "--task", "sst2", "--init", hf_dir, "--train-file", args.train_file,
                       "--dev-file", args.dev_file, "--output-dir", output_dir, "--epochs", "1",
                       "--max-train-examples", str(args.steps * args.batch_size),
                       "--batch-size", str(args.batch_size), "--seq-length", str(args.seq_length),
                       "--learning-rate", str(args.learning_rate),
                       "--warmup-ratio", str(WARMUP_RATIO), "--weight-decay", str(WEIGHT_DECAY),
                       "--precision", "float32", "--seed", str(args.seed)], echo=True)
    if child.returncode:
        sys.exit(f"{OURS} failed (exit {child.returncode})")
    with open(os.path.join(output_dir, "history.csv"), newline="") as file:
        speed = float(next(csv.DictReader(file))["examples_per_second"])
    with open(os.path.join(output_dir, "metrics.json"), encoding="utf-8") as file:
        accuracy = json.load(file)["accuracy"]
    return {"examples_per_second": speed, "dev_accuracy": accuracy,
            "peak_rss_mib": child.peak_rss_mib}


def keras_hub_child(args) -> dict:
    import keras
    import keras_hub
    import numpy as np
    import tensorflow as tf

    import peers
    from bert_keras.training.callbacks import Throughput
    from bert_keras.optimizers import make_optimizer

    keras.utils.set_random_seed(args.seed)
    texts, labels = read_sst2(args.train_file)
    count = args.steps * args.batch_size
    classifier = keras_hub.models.BertTextClassifier.from_preset(
        os.path.join(args.workdir, "keras_hub"))
    peers.use_exact_gelu(classifier.backbone)
    classifier.preprocessor.sequence_length = args.seq_length
    classifier.compile(
        optimizer=make_optimizer("adamw", args.learning_rate, num_train_steps=args.steps,
                                 warmup_steps=int(WARMUP_RATIO * args.steps),
                                 weight_decay=WEIGHT_DECAY, global_clipnorm=CLIPNORM,
                                 epsilon=EPSILON),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    train = (tf.data.Dataset.from_tensor_slices((texts[:count], labels[:count]))
             .shuffle(count, seed=args.seed).batch(args.batch_size, drop_remainder=True))
    throughput = Throughput(args.batch_size)
    history = classifier.fit(train, epochs=1, callbacks=[throughput], verbose=2)
    dev_texts, dev_labels = read_sst2(args.dev_file)
    logits = classifier.predict(np.asarray(dev_texts), batch_size=64, verbose=0)
    return {"examples_per_second": history.history["examples_per_second"][0],
            "dev_accuracy": float(np.mean(np.argmax(logits, -1) == np.asarray(dev_labels)))}


def hf_child(args) -> dict:
    import numpy as np
    import torch
    from transformers import (BertForSequenceClassification, BertTokenizerFast,
                              get_linear_schedule_with_warmup)

    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    directory = os.path.join(args.workdir, "hf")
    model = BertForSequenceClassification.from_pretrained(directory, local_files_only=True)
    tokenizer = BertTokenizerFast.from_pretrained(directory, local_files_only=True)
    texts, labels = read_sst2(args.train_file)
    count = args.steps * args.batch_size
    decay = [p for n, p in model.named_parameters() if not ("bias" in n or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n or "LayerNorm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.learning_rate, eps=EPSILON)
    schedule = get_linear_schedule_with_warmup(optimizer, int(WARMUP_RATIO * args.steps),
                                               args.steps)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(args.seed)).tolist()
    model.train()
    for step in range(args.steps):
        if step == 1:
            start = time.perf_counter()
        rows = order[step * args.batch_size:(step + 1) * args.batch_size]
        batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                          max_length=args.seq_length, return_tensors="pt")
        loss = model(**batch, labels=torch.tensor([labels[i] for i in rows])).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIPNORM)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 50 == 0:
            print(f"step {step}/{args.steps} loss {loss.item():.4f}", flush=True)
    speed = (args.steps - 1) * args.batch_size / (time.perf_counter() - start)
    model.eval()
    dev_texts, dev_labels = read_sst2(args.dev_file)
    predicted = []
    with torch.inference_mode():
        for i in range(0, len(dev_texts), 64):
            batch = tokenizer(dev_texts[i:i + 64], padding=True, truncation=True,
                              max_length=args.seq_length, return_tensors="pt")
            predicted.append(model(**batch).logits.argmax(-1).numpy())
    return {"examples_per_second": speed,
            "dev_accuracy": float(np.mean(np.concatenate(predicted) == np.asarray(dev_labels)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-file", default=os.path.join(SAMPLES, "sst2_train_sample.tsv"),
                        help="GLUE SST-2 train.tsv (default: the 2,000-row shipped sample)")
    parser.add_argument("--dev-file", default=os.path.join(SAMPLES, "sst2_dev.tsv"))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="benchmarks/results/finetuning.json")
    parser.add_argument("--child", choices=(PREPARE, KERAS_HUB, HF), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = {PREPARE: prepare_child, KERAS_HUB: keras_hub_child, HF: hf_child}[args.child](
            args)
        with open(args.result, "w", encoding="utf-8") as file:
            json.dump(result, file)
        return

    if len(read_sst2(args.train_file)[0]) < args.steps * args.batch_size:
        sys.exit(f"{args.train_file}: fewer than --steps x --batch-size = "
                 f"{args.steps * args.batch_size} rows")
    options = {name: getattr(args, name) for name in (
        "train_file", "dev_file", "steps", "batch_size", "seq_length", "learning_rate", "seed")}
    script = os.path.abspath(__file__)
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        print("Copying the initial classifier into KerasHub and HF formats ...", flush=True)
        run_system(script, PREPARE, workdir, options)
        for system in (OURS, KERAS_HUB, HF):
            print(f"\n== {system} ==", flush=True)
            results[system] = (run_ours(args, minilm_dir(), workdir) if system == OURS
                               else run_system(script, system, workdir, options))

    reference = results[OURS]
    rows = [{"system": name, "examples_per_second": round(r["examples_per_second"], 1),
             "ours_speedup": round(reference["examples_per_second"] / r["examples_per_second"],
                                   2),
             "dev_accuracy": round(r["dev_accuracy"], 4),
             "peak_rss_mib": round(r["peak_rss_mib"])} for name, r in results.items()]
    print(f"\nSST-2 fine-tuning: {args.steps} steps x batch {args.batch_size}, seq cap "
          f"{args.seq_length}, lr {args.learning_rate}, float32, {os.cpu_count()} CPU(s)\n")
    print_table(("system", "examples/s", "ours is x faster", "dev accuracy", "peak RSS MiB"),
                [(row["system"], row["examples_per_second"], row["ours_speedup"],
                  f"{row['dev_accuracy']:.4f}", row["peak_rss_mib"]) for row in rows])
    write_results(args.output, {
        "train_file": os.path.basename(args.train_file), "steps": args.steps,
        "batch_size": args.batch_size, "seq_length": args.seq_length,
        "learning_rate": args.learning_rate}, rows)

if __name__ == "__main__":
    main()
