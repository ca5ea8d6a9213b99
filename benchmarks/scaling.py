"""Benchmark on paper: measured FLOPs of BERT-base train steps, projected onto GPU and TPU clusters.

Nothing is trained. For each step below the script builds the model bert-keras trains (random
weights), compiles it as `pretrain`/`finetune` do, traces one Keras `train_step` (forward, loss,
backward, clipping and the optimizer update) into a TensorFlow graph, and counts its FLOPs:

- `matmul_gflops`: 2 x M x N x K for every matrix product in the graph (MatMul, BatchMatMul*,
  Einsum, with the static shapes of the trace), nested functions included: the count the
  "model FLOPs" convention uses;
- `profiler_gflops`: `tf.compat.v1.profiler`'s float-operation total of the same graph (what
  TensorFlow registers a count for: elementwise ops too, but no Einsum);

next to the analytic count `analytic_gflops` (`train_flops`: 3 x the forward matrix products,
6 x parameters x tokens plus the attention terms). Steps: pretraining at sequence length 128
(20 masked positions) and 512 (80), and SQuAD fine-tuning at 384, per sequence.

The projection divides the FLOPs of a whole recipe by the sustained speed of a cluster:
chips x published dense peak (bf16/fp16 tensor units) x an assumed model-FLOPs utilization
(MFU, `--mfu`). Recipes: Google's BERT-base pretraining (1M steps of 256 x 512; and the paper's
90% of the steps at 128, 10% at 512) and SQuAD v1.1 fine-tuning (88k examples of 384
tokens x 2 epochs). Prints a table and writes benchmarks/results/scaling.json.

    python benchmarks/scaling.py [--mfu 0.4]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bert_keras import BertConfig  # noqa: E402
from bert_keras.models import bert_pretrainer, bert_span_labeler  # noqa: E402
from bert_keras.optimizers import make_optimizer  # noqa: E402
from common import print_table, write_results  # noqa: E402

VOCAB_SIZE = 30522  # Google's uncased English vocabulary
# Dense bf16/fp16 peak FLOP/s per chip, without sparsity, from the vendors' data sheets:
# NVIDIA A100 SXM 312 TFLOPS, H100 SXM 989 TFLOPS (1979 is with sparsity); Cloud TPU v4 275
# TFLOPS and v5e 197 TFLOPS (bf16) per chip (Cloud TPU "System architecture" pages).
CLUSTERS: dict[str, tuple[int, float]] = {
    "8x A100": (8, 312e12),
    "8x H100": (8, 989e12),
    "TPU v4-32 (16 chips)": (16, 275e12),
    "TPU v5e-64 (64 chips)": (64, 197e12),
}
PRETRAIN_STEPS = 1_000_000
PRETRAIN_BATCH = 256
SQUAD_EXAMPLES = 88_641  # SQuAD v1.1 training questions (features at 384/128: about 88.6k)
SQUAD_EPOCHS = 2
MATMUL_OPS = ("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Einsum")


def train_flops(config: BertConfig, seq: int, predictions: int = 0, head: str = "nsp"
                ) -> float:
    """Analytic matrix-product FLOPs of one training step on one sequence: 3 x the forward
    (the backward pass costs twice the forward), where the forward is, per layer, 2 x seq x
    (4 H^2 + 2 H I) for the projections and feed-forward plus 4 x seq^2 x H for attention
    scores and context, then the heads. `head="nsp"` (pretraining): the pooler (2 H^2), the
    next-sentence output (2 H x 2) and, for `predictions` masked positions, the masked-LM
    transform and its tied output layer (2 x predictions x (H^2 + H x vocab)). `head="span"`
    (SQuAD): start and end logits on every token (2 x seq x H x 2); the pooler still runs
    forward (2 H^2) but no loss reaches it, so it has no backward pass.

    Example:
        >>> config = BertConfig.preset("base", vocab_size=30522)
        >>> round(train_flops(config, 128) / 1e9, 1)  # ~ 6 x 85M encoder weights x 128
        67.0
    """
    h, i = config.hidden_size, config.intermediate_size
    layer = 2 * seq * (4 * h * h + 2 * h * i) + 4 * seq * seq * h
    if head == "nsp":
        heads = 2 * h * h + 2 * h * 2 + 2 * predictions * (h * h + h * config.vocab_size)
        return 3 * (config.num_layers * layer + heads)
    if head == "span":
        return 3 * (config.num_layers * layer + 2 * seq * h * 2) + 2 * h * h
    raise ValueError(f"unknown head {head!r}: nsp or span")


def einsum_flops(equation: str, shapes: list[list[int]]) -> float:
    """2 x the product of every index's size: the multiply-adds of a two-operand einsum.

    Example:
        >>> einsum_flops("bnqd,bnkd->bnqk", [[2, 12, 128, 64], [2, 12, 128, 64]])
        50331648.0
    """
    sizes: dict[str, int] = {}
    for term, shape in zip(equation.split("->")[0].split(","), shapes):
        for letter, size in zip(term.replace("...", ""), shape):
            sizes[letter] = size
    return 2.0 * float(np.prod(list(sizes.values())))


def _op_flops(op: tf.Operation) -> float:
    shapes = [tensor.shape for tensor in op.inputs[:2]]
    if any(shape.rank is None or None in shape.as_list() for shape in shapes):
        raise ValueError(f"{op.name} ({op.type}) has an unknown input shape: {shapes}")
    a, b = (shape.as_list() for shape in shapes)
    if op.type == "Einsum":
        return einsum_flops(op.get_attr("equation").decode(), [a, b])
    if op.type == "MatMul":
        m = a[1] if op.get_attr("transpose_a") else a[0]
        k = a[0] if op.get_attr("transpose_a") else a[1]
        n = b[0] if op.get_attr("transpose_b") else b[1]
        return 2.0 * m * n * k
    adjoint_a = op.get_attr("adj_x")
    m, k = (a[-1], a[-2]) if adjoint_a else (a[-2], a[-1])
    n = b[-2] if op.get_attr("adj_y") else b[-1]
    batch = np.prod(np.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2])) or (1,))
    return 2.0 * float(batch) * m * n * k


def graph_matmul_flops(graph: tf.Graph, seen: set[str] | None = None) -> float:
    """The matrix-product FLOPs of every op in `graph` and in the functions it calls."""
    seen = set() if seen is None else seen
    total = 0.0
    for op in graph.get_operations():
        if op.type in MATMUL_OPS:
            total += _op_flops(op)
        for attr in ("f", "then_branch", "else_branch", "body", "cond"):
            try:
                function = op.get_attr(attr)
            except ValueError:
                continue
            name = function.name
            inner = graph._get_function(name)  # noqa: SLF001 (no public lookup)
            if inner is not None and name not in seen and getattr(inner, "graph", None):
                seen.add(name)  # a function called twice would be counted once: none is
                total += graph_matmul_flops(inner.graph, seen)
    return total


def profiler_flops(graph: tf.Graph) -> float:
    """`tf.compat.v1.profiler`'s float-operation count of `graph` (its registered op costs)."""
    options = (tf.compat.v1.profiler.ProfileOptionBuilder(
        tf.compat.v1.profiler.ProfileOptionBuilder.float_operation())
        .with_empty_output().build())
    return float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)


def _inputs(batch: int, seq: int) -> dict[str, tf.TensorSpec]:
    return {name: tf.TensorSpec((batch, seq), tf.int32)
            for name in ("input_word_ids", "input_mask", "input_type_ids")}


def traced_step(kind: str, config: BertConfig, batch: int, seq: int, predictions: int
                ) -> tf.Graph:
    """The graph of one Keras `train_step` of the pretrainer (`kind="pretrain"`, LAMB, as
    `pretrain` compiles it) or the SQuAD span labeler (`"squad"`, AdamW), traced, not run."""
    keras.utils.set_random_seed(0)
    if kind == "pretrain":
        from bert_keras.training.pretraining.pretrain import _compile  # the run's own compile
        model = bert_pretrainer(config)
        _compile(model, make_optimizer("lamb", 1e-4, num_train_steps=1000), xla=False)
        features = {**_inputs(batch, seq),
                    "masked_lm_positions": tf.TensorSpec((batch, predictions), tf.int32)}
        labels = {"mlm_logits": tf.TensorSpec((batch, predictions), tf.int32),
                  "nsp_logits": tf.TensorSpec((batch,), tf.int32)}
        weights = {"mlm_logits": tf.TensorSpec((batch, predictions), tf.float32),
                   "nsp_logits": tf.TensorSpec((batch,), tf.float32)}
        data = (features, labels, weights)
    else:
        model = bert_span_labeler(config)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer=make_optimizer("adamw", 5e-5, num_train_steps=1000),
                      loss={"start_logits": loss, "end_logits": loss})
        data = (_inputs(batch, seq), {"start_logits": tf.TensorSpec((batch,), tf.int32),
                                      "end_logits": tf.TensorSpec((batch,), tf.int32)})
    model.optimizer.build(model.trainable_variables)
    return tf.function(model.train_step).get_concrete_function(data).graph


def measure(batch: int) -> list[dict[str, Any]]:
    """Per-sequence train-step FLOPs of the three BERT-base steps, traced at `batch`."""
    config = BertConfig.preset("base", vocab_size=VOCAB_SIZE)
    rows = []
    for kind, seq, predictions, head in (("pretrain", 128, 20, "nsp"),
                                         ("pretrain", 512, 80, "nsp"), ("squad", 384, 0, "span")):
        start = time.perf_counter()
        graph = traced_step(kind, config, batch, seq, predictions)
        counted = graph_matmul_flops(graph) / batch
        profiled = profiler_flops(graph) / batch
        analytic = train_flops(config, seq, predictions, head)
        rows.append({"step": kind, "seq_length": seq, "masked_positions": predictions,
                     "matmul_gflops": round(counted / 1e9, 2),
                     "profiler_gflops": round(profiled / 1e9, 2),
                     "analytic_gflops": round(analytic / 1e9, 2),
                     "six_n_tokens_gflops": round(6 * encoder_params(config) * seq / 1e9, 2),
                     "trace_seconds": round(time.perf_counter() - start, 1)})
        print(f"{kind} seq {seq}: {rows[-1]['matmul_gflops']} GFLOPs per sequence counted in "
              f"the graph, {rows[-1]['analytic_gflops']} analytic "
              f"({rows[-1]['trace_seconds']} s)", flush=True)
        keras.backend.clear_session()
    return rows


def encoder_params(config: BertConfig) -> int:
    """The weights of the encoder's matrix products (embeddings excluded): 12 x 7.1M."""
    h, i = config.hidden_size, config.intermediate_size
    return config.num_layers * (4 * h * h + 2 * h * i)


def recipes(per_sequence: dict[tuple[str, int], float]) -> dict[str, float]:
    """Total FLOPs of each recipe from the measured per-sequence step FLOPs."""
    sequences = PRETRAIN_STEPS * PRETRAIN_BATCH
    return {
        "pretrain 1M x 256 @512": sequences * per_sequence["pretrain", 512],
        "pretrain 90% @128 + 10% @512": sequences * (0.9 * per_sequence["pretrain", 128]
                                                     + 0.1 * per_sequence["pretrain", 512]),
        "SQuAD v1.1 2 epochs @384": SQUAD_EXAMPLES * SQUAD_EPOCHS * per_sequence["squad", 384],
    }


def hours(flops: float, chips: int, peak: float, mfu: float) -> float:
    """Wall hours of `flops` on `chips` chips of `peak` FLOP/s each at utilization `mfu`.

    Example:
        >>> hours(3600 * 8 * 100e12 * 0.5, chips=8, peak=100e12, mfu=0.5)
        1.0
    """
    return flops / (chips * peak * mfu) / 3600


def _format_hours(value: float) -> str:
    if value < 1:
        return f"{value * 60:.1f} min" if value < 1 / 6 else f"{value * 60:.0f} min"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mfu", type=float, default=0.4,
                        help="assumed model-FLOPs utilization of the peak (default: 0.4)")
    parser.add_argument("--trace-batch", type=int, default=2,
                        help="batch the steps are traced at (FLOPs are per sequence)")
    parser.add_argument("--output", default=os.path.join(HERE, "results", "scaling.json"))
    args = parser.parse_args()
    if not 0 < args.mfu <= 1:
        parser.error(f"--mfu: expected a number in (0, 1], got {args.mfu}")

    steps = measure(args.trace_batch)
    per_sequence = {(row["step"], row["seq_length"]): row["matmul_gflops"] * 1e9
                    for row in steps}
    print()
    print_table(("step", "seq", "matmul GFLOPs/seq (graph)", "analytic", "6·N·tokens",
                 "profiler total"),
                [(r["step"], r["seq_length"], r["matmul_gflops"], r["analytic_gflops"],
                  r["six_n_tokens_gflops"], r["profiler_gflops"]) for r in steps])
    projections = []
    totals = recipes(per_sequence)
    for recipe, flops in totals.items():
        for cluster, (chips, peak) in CLUSTERS.items():
            value = hours(flops, chips, peak, args.mfu)
            projections.append({"recipe": recipe, "cluster": cluster, "chips": chips,
                                "peak_tflops_per_chip": peak / 1e12,
                                "total_pflops": round(flops / 1e15, 1),
                                "hours": round(value, 2)})
    print(f"\nTime at {args.mfu:.0%} MFU (FLOPs counted in the traced steps):\n")
    print_table(("recipe", "total PFLOPs", *CLUSTERS),
                [(recipe, f"{flops / 1e15:,.0f}",
                  *(_format_hours(hours(flops, chips, peak, args.mfu))
                    for chips, peak in CLUSTERS.values()))
                 for recipe, flops in totals.items()])
    write_results(args.output, {"mfu": args.mfu, "trace_batch": args.trace_batch,
                                "vocab_size": VOCAB_SIZE, "steps": steps},
                  projections)
    print(f"\nwrote {os.path.relpath(args.output)}")


if __name__ == "__main__":
    main()
