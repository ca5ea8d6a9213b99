"""Benchmark: the fraction of this machine's matmul peak that our BERT forward and train step use.

In one process: first the dense matmul FLOP/s the machine reaches (`tf.matmul`, best of a few
large shapes, float32 and bfloat16), then, for BERT-base and all-MiniLM-L6-v2 shapes at
sequence length 128, the model FLOP/s of

- forward: the encoder plus classification head in inference mode (`tf.function`);
- train: one `train_on_batch` of the classifier with AdamW (forward, backward and update);

under the `float32` and `mixed_bfloat16` policies (`--xla`: also compiled with XLA). Model
FLOPs count the matrix products only (the usual convention): 2 x tokens x (4 H^2 + 2 H I) per
layer for the projections and feed-forward, 4 x batch x S^2 x H per layer for attention
scores and context, the pooler and the head; a train step is 3 x forward. Random weights
(speed does not depend on them). Prints a table and writes it as JSON.

    python benchmarks/efficiency.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from bert_keras import BertConfig  # noqa: E402
from bert_keras.models import bert_classifier  # noqa: E402
from common import print_table, write_results  # noqa: E402
from bert_keras.optimizers import make_optimizer  # noqa: E402

MATMUL_SHAPES = ((2048, 2048, 2048), (4096, 768, 3072), (4096, 3072, 768))
SHAPES = {
    "BERT-base": BertConfig.preset("base", vocab_size=30522),
    "MiniLM-L6-H384": BertConfig(vocab_size=30522, hidden_size=384, num_layers=6, num_heads=12,
                                 intermediate_size=1536),
}
POLICIES = {"float32": tf.float32, "mixed_bfloat16": tf.bfloat16}


def best_seconds(run: Callable[[], object], repeats: int) -> float:
    """Best wall time of `repeats` calls after one warm-up call (tracing)."""
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_peak(dtype: tf.DType, repeats: int) -> float:
    """The best FLOP/s of `tf.matmul` over `MATMUL_SHAPES` in `dtype`."""
    best = 0.0
    for m, k, n in MATMUL_SHAPES:
        a = tf.random.normal((m, k), dtype=tf.float32)
        b = tf.random.normal((k, n), dtype=tf.float32)
        a, b = tf.cast(a, dtype), tf.cast(b, dtype)
        product = tf.function(lambda: tf.matmul(a, b))
        best = max(best, 2 * m * k * n / best_seconds(lambda: product().numpy(), repeats))
    return best


def forward_flops(config: BertConfig, batch: int, seq: int, num_classes: int = 2) -> float:
    """Matrix-product FLOPs of one forward pass of `bert_classifier` (see the docstring)."""
    h, i, tokens = config.hidden_size, config.intermediate_size, batch * seq
    per_layer = 2 * tokens * (4 * h * h + 2 * h * i) + 4 * batch * seq * seq * h
    return config.num_layers * per_layer + 2 * batch * (h * h + h * num_classes)


def model_seconds(config: BertConfig, batch: int, seq: int, repeats: int, xla: bool = False
                  ) -> tuple[float, float]:
    """(forward, train step) best seconds of a classifier under the current global policy;
    `xla` compiles both with XLA."""
    keras.utils.set_random_seed(0)
    model = bert_classifier(config, num_classes=2)
    model.compile(optimizer=make_optimizer("adamw", 1e-5, num_train_steps=100),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=xla)
    rng = np.random.default_rng(0)
    inputs = {"input_word_ids": rng.integers(1000, config.vocab_size, (batch, seq), "int32"),
              "input_mask": np.ones((batch, seq), "int32"),
              "input_type_ids": np.zeros((batch, seq), "int32")}
    labels = rng.integers(0, 2, (batch,), "int32")
    forward = tf.function(lambda x: model(x, training=False), jit_compile=xla)
    tensors = {name: tf.constant(value) for name, value in inputs.items()}
    forward_time = best_seconds(lambda: forward(tensors).numpy(), repeats)
    train_time = best_seconds(lambda: model.train_on_batch(inputs, labels), repeats)
    return forward_time, train_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--xla", action="store_true", help="also time XLA-compiled steps")
    parser.add_argument("--output", default="benchmarks/results/efficiency.json")
    args = parser.parse_args()

    peaks = {}
    for policy, dtype in POLICIES.items():
        peaks[policy] = matmul_peak(dtype, args.repeats)
        print(f"matmul peak {dtype.name}: {peaks[policy] / 1e9:.1f} GFLOP/s", flush=True)
    rows = []
    for name, config in SHAPES.items():
        flops = forward_flops(config, args.batch_size, args.seq_length)
        for policy in POLICIES:
            for xla in (False, True) if args.xla else (False,):
                keras.mixed_precision.set_global_policy(policy)
                forward, train = model_seconds(config, args.batch_size, args.seq_length,
                                               args.repeats, xla)
                for mode, seconds, work in (("forward", forward, flops),
                                            ("train", train, 3 * flops)):
                    row = {"model": name, "policy": policy, "xla": xla, "mode": mode,
                           "seconds": round(seconds, 4),
                           "gflops_per_second": round(work / seconds / 1e9, 1),
                           "fraction_of_matmul_peak": round(work / seconds / peaks[policy], 3)}
                    rows.append(row)
                    print(f"{name} {policy}{' XLA' if xla else ''} {mode}: "
                          f"{row['gflops_per_second']} GFLOP/s, "
                          f"{row['fraction_of_matmul_peak']:.1%} of the matmul peak", flush=True)
    keras.mixed_precision.set_global_policy("float32")
    baseline = {(r["model"], r["mode"]): r["seconds"] for r in rows
                if r["policy"] == "float32" and not r["xla"]}
    for row in rows:
        row["speedup_over_float32"] = round(baseline[row["model"], row["mode"]] / row["seconds"],
                                            2)

    print(f"\nbatch {args.batch_size} x seq {args.seq_length}, {os.cpu_count()} CPU(s); matmul "
          f"peak float32 {peaks['float32'] / 1e9:.1f}, bfloat16 "
          f"{peaks['mixed_bfloat16'] / 1e9:.1f} GFLOP/s\n")
    print_table(("model", "policy", "XLA", "step", "GFLOP/s", "of matmul peak",
                 "speed-up over float32"),
                [(row["model"], row["policy"], "yes" if row["xla"] else "no", row["mode"],
                  row["gflops_per_second"], f"{row['fraction_of_matmul_peak']:.1%}",
                  f"{row['speedup_over_float32']}x") for row in rows])
    write_results(args.output, {
        "batch_size": args.batch_size, "seq_length": args.seq_length,
        "matmul_peak_gflops": {k: round(v / 1e9, 1) for k, v in peaks.items()}}, rows)

if __name__ == "__main__":
    main()
