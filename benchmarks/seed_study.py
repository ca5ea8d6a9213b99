"""Benchmark: fine-tuning quality over seeds, bert-keras' recipe vs a Hugging Face torch loop.

Both systems fine-tune all-MiniLM-L6-v2 on the same rows with the same budget and optimizer
(AdamW, peak `--learning-rate`, weight decay 0.01 off LayerNorm and biases, epsilon 1e-6,
gradients clipped to global norm 1.0, 10% linear warm-up then linear decay, float32, batch
`--batch-size`, sequences capped at `--seq-length`), once per seed, and are scored on the
task's dev set:

- ours: `bert-keras finetune` with its defaults (length-bucketed batches, its head and
  schedule), plus any `--ours-flag` and `--ours-ablation` (`ablations.py`);
- HF: `BertForSequenceClassification` (its own head initialisation under the seed) in a
  plain torch loop, rows reshuffled every epoch under the seed, each batch padded to its
  longest row (the usual `Trainer`-like recipe without the `Trainer`).

A run's score is its dev score after the last epoch, for both systems (our run directory
keeps the best epoch's model, which would pick on the scored set itself); every epoch's
score is in the JSON. Prints, per system, the dev score of every seed, the mean and
standard deviation, and the paired difference ours - HF (same seed) with its 95% confidence
interval (Student t), plus each system's mean training examples/s (first batch excluded)
and ours' speed-up; writes it all as JSON. Each run is a fresh process
(`common.run_child`). Defaults: SST-2, the first 4,000 rows of
`../shared/data/sst2/train.tsv`, 1 epoch; MRPC: all 3,668 rows, 3 epochs.

    python benchmarks/seed_study.py --task sst2 --seeds 0 1 2 3 4
    python benchmarks/seed_study.py --task mrpc --seeds 0 1 2 3 4

`--seeds 5 --ours-flag "--bucket-pool 4" --extend benchmarks/results/seed_study_mrpc.json`
adds seed 5 to that study and writes it back (one seed per call keeps each finished run); the
flags must be those the study was made with (the committed studies name their bucket pool).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from ablations import ABLATIONS  # noqa: E402
from common import ROOT, minilm_dir, print_table, run_child  # noqa: E402

SHARED_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
WARMUP_RATIO, WEIGHT_DECAY, CLIPNORM, EPSILON = 0.1, 0.01, 1.0, 1e-6
# Task -> (folder in ../shared/data, train rows, epochs, the score compared).
TASKS = {"sst2": ("sst2", 4000, 1, "accuracy"), "mrpc": ("mrpc", None, 3, "f1")}
# Two-sided 95% Student t quantiles by degrees of freedom (1-10); 1.96 beyond.
T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)


def read_task(task: str, path: str) -> tuple[list[tuple[str, ...]], list[int]]:
    """The texts (one or two per row) and labels of a GLUE SST-2 or MRPC TSV, in plain Python
    (the HF process must not load TensorFlow); the rows `bert_keras.data.read_glue` reads.

    Example:
        >>> texts, labels = read_task("sst2", os.path.join(ROOT, "tests/data/tasks/sst2_dev.tsv"))
        >>> len(texts) == len(labels), set(labels) <= {0, 1}
        (True, True)
    """
    with open(path, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    if task == "sst2":
        return [(row[0],) for row in rows], [int(row[1]) for row in rows]
    return [(row[3], row[4]) for row in rows], [int(row[0]) for row in rows]


def score(task: str, labels: list[int], predicted: list[int]) -> float:
    """Accuracy (SST-2) or F1 of the positive class (MRPC), as the recipe reports them.

    Example:
        >>> score("mrpc", [1, 1, 0, 0], [1, 0, 1, 0])
        0.5
    """
    if task == "sst2":
        return sum(a == b for a, b in zip(labels, predicted)) / len(labels)
    true_pos = sum(a == b == 1 for a, b in zip(labels, predicted))
    precision = true_pos / max(sum(predicted), 1)
    recall = true_pos / max(sum(labels), 1)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def summary(values: list[float]) -> dict[str, float]:
    """Mean, sample standard deviation and the half-width of the 95% confidence interval of
    the mean (Student t).

    Example:
        >>> {k: round(v, 3) for k, v in summary([1.0, 2.0, 3.0]).items()}
        {'mean': 2.0, 'std': 1.0, 'ci95': 2.484}
    """
    mean = statistics.fmean(values)
    if len(values) < 2:
        return {"mean": mean, "std": float("nan"), "ci95": float("nan")}
    std = statistics.stdev(values)
    quantile = T_975[len(values) - 2] if len(values) - 1 <= len(T_975) else 1.96
    return {"mean": mean, "std": std, "ci95": quantile * std / math.sqrt(len(values))}


def run_ours(args, seed: int, workdir: str) -> dict:
    """`bert-keras finetune` with the study's settings and seed; its dev score and speed."""
    output_dir = os.path.join(workdir, f"ours_{seed}")
    program = ([sys.executable, os.path.join(HERE, "ablations.py"), ",".join(args.ours_ablation)]
               if args.ours_ablation else [os.path.join(os.path.dirname(sys.executable),
                                                        "bert-keras")])
    command = [*program, "finetune",
               "--task", args.task, "--init", minilm_dir(), "--train-file", args.train_file,
               "--dev-file", args.dev_file, "--output-dir", output_dir,
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
               "--seq-length", str(args.seq_length), "--learning-rate", str(args.learning_rate),
               "--warmup-ratio", str(WARMUP_RATIO), "--weight-decay", str(WEIGHT_DECAY),
               "--precision", "float32", "--seed", str(seed),
               *(["--max-train-examples", str(args.train_rows)] if args.train_rows else []),
               *[flag for flags in args.ours_flag for flag in flags.split()]]
    child = run_child(command, echo=args.verbose)
    if child.returncode:
        sys.exit(f"bert-keras finetune (seed {seed}) failed:\n{child.output[-3000:]}")
    with open(os.path.join(output_dir, "history.csv"), newline="") as file:
        epochs = list(csv.DictReader(file))
    scores = [float(row[f"val_{TASKS[args.task][3]}"]) for row in epochs]
    return {"score": scores[-1], "epoch_scores": scores, "examples_per_second":
            statistics.fmean(float(row["examples_per_second"]) for row in epochs),
            "seconds": child.seconds}


def hf_optimizer(model, learning_rate: float, total_steps: int):
    """The HF loop's torch AdamW (decay off LayerNorm and biases) and its linear warm-up/decay
    schedule over `total_steps`."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW(
        [{"params": [p for n, p in named if not ("bias" in n or "LayerNorm" in n)],
          "weight_decay": WEIGHT_DECAY},
         {"params": [p for n, p in named if "bias" in n or "LayerNorm" in n],
          "weight_decay": 0.0}], lr=learning_rate, eps=EPSILON)
    warmup = int(WARMUP_RATIO * total_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)


def hf_child(args) -> dict:
    """The Hugging Face torch loop (in its own process): trains, scores the dev set."""
    import torch
    from transformers import BertForSequenceClassification, BertTokenizerFast

    torch.manual_seed(args.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    model = BertForSequenceClassification.from_pretrained(minilm_dir(), num_labels=2,
                                                          local_files_only=True)
    tokenizer = BertTokenizerFast.from_pretrained(minilm_dir(), local_files_only=True)
    texts, labels = read_task(args.task, args.train_file)
    texts, labels = texts[:args.train_rows or None], labels[:args.train_rows or None]
    steps_per_epoch = math.ceil(len(texts) / args.batch_size)  # the last one partial, as ours
    total = steps_per_epoch * args.epochs
    optimizer, schedule = hf_optimizer(model, args.learning_rate, total)
    generator = torch.Generator().manual_seed(args.seed)

    def encode(rows: list[tuple[str, ...]]):
        columns = list(zip(*rows))
        return tokenizer(*columns, padding=True, truncation=True, max_length=args.seq_length,
                         return_tensors="pt")

    dev_texts, dev_labels = read_task(args.task, args.dev_file)

    def dev_score() -> float:
        model.eval()
        predicted: list[int] = []
        with torch.inference_mode():
            for i in range(0, len(dev_texts), 64):
                predicted += model(**encode(dev_texts[i:i + 64])).logits.argmax(-1).tolist()
        model.train()
        return score(args.task, dev_labels, predicted)

    model.train()
    timed_examples, timed_seconds, scores = 0, 0.0, []
    for epoch in range(args.epochs):
        order = torch.randperm(len(texts), generator=generator).tolist()
        for step in range(steps_per_epoch):
            start = time.perf_counter()
            rows = order[step * args.batch_size:(step + 1) * args.batch_size]
            loss = model(**encode([texts[i] for i in rows]),
                         labels=torch.tensor([labels[i] for i in rows])).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), CLIPNORM)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            if step:  # the first batch of an epoch is not timed, as ours' Throughput
                timed_examples += len(rows)
                timed_seconds += time.perf_counter() - start
            if args.verbose and step % 50 == 0:
                print(f"epoch {epoch} step {step}/{steps_per_epoch} loss {loss.item():.4f}",
                      flush=True)
        scores.append(dev_score())
    return {"score": scores[-1], "epoch_scores": scores,
            "examples_per_second": timed_examples / timed_seconds}


def run_hf(args, seed: int, workdir: str) -> dict:
    result_file = os.path.join(workdir, f"hf_{seed}.json")
    command = [sys.executable, os.path.abspath(__file__), "--child", "--task", args.task,
               "--train-file", args.train_file, "--dev-file", args.dev_file,
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
               "--seq-length", str(args.seq_length), "--learning-rate", str(args.learning_rate),
               "--seed", str(seed), "--result", result_file,
               *(["--train-rows", str(args.train_rows)] if args.train_rows else []),
               *(["--verbose"] if args.verbose else [])]
    child = run_child(command, echo=args.verbose)
    if child.returncode:
        sys.exit(f"HF torch loop (seed {seed}) failed:\n{child.output[-3000:]}")
    with open(result_file, encoding="utf-8") as file:
        return {**json.load(file), "seconds": child.seconds}


SETTINGS = ("task", "train_rows", "epochs", "batch_size", "seq_length", "learning_rate",
            "ours_flag", "ours_ablation")


def earlier_runs(args) -> dict[str, list[dict]]:
    """The runs of `args.extend`, refused (one line) unless made with the same settings,
    systems and other seeds."""
    with open(args.extend, encoding="utf-8") as file:
        earlier = json.load(file)
    for name in SETTINGS:
        key = {"ours_flag": "ours_flags"}.get(name, name)
        if (earlier.get(key) or None) != (getattr(args, name) or None):
            sys.exit(f"{args.extend}: made with {key} {earlier.get(key)!r}, this run has "
                     f"{getattr(args, name)!r}")
    if sorted(earlier["runs"]) != sorted(args.systems):
        sys.exit(f"{args.extend}: has systems {sorted(earlier['runs'])}, this run "
                 f"{sorted(args.systems)}")
    repeated = set(earlier["seeds"]) & set(args.seeds)
    if repeated:
        sys.exit(f"{args.extend}: already has seeds {sorted(repeated)}")
    return {system: list(earlier["runs"][system]) for system in args.systems}


def output_path(args) -> str:
    """Where the study is written: `--output`, else the `--extend` file it adds to, else
    benchmarks/results/seed_study_<task>.json."""
    return args.output or args.extend or os.path.join(ROOT, "benchmarks", "results",
                                                      f"seed_study_{args.task}.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="sst2")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--train-file", help="default: ../shared/data/<task>/train.tsv")
    parser.add_argument("--dev-file", help="default: ../shared/data/<task>/dev.tsv")
    parser.add_argument("--train-rows", type=int, help="the first N rows (default: the task's)")
    parser.add_argument("--epochs", type=int, help="default: the task's")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--systems", nargs="+", choices=("ours", "hf"), default=["ours", "hf"])
    parser.add_argument("--ours-flag", action="append", default=[],
                        help="extra flags for bert-keras finetune (ablations), repeatable")
    parser.add_argument("--ours-ablation", choices=sorted(ABLATIONS), action="append",
                        default=[], help="put back one old detail of our recipe (see "
                                         "ablations.py), repeatable")
    parser.add_argument("--output", help="default: the --extend file, else "
                                         "benchmarks/results/seed_study_<task>.json")
    parser.add_argument("--extend", metavar="JSON",
                        help="a study this script wrote with the same settings: keep its runs, "
                             "add --seeds, report on all")
    parser.add_argument("--verbose", action="store_true", help="stream the runs' output")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder, rows, epochs, metric = TASKS[args.task]
    args.train_file = args.train_file or os.path.join(SHARED_DATA, folder, "train.tsv")
    args.dev_file = args.dev_file or os.path.join(SHARED_DATA, folder, "dev.tsv")
    args.train_rows = args.train_rows if args.train_rows is not None else rows
    args.epochs = args.epochs or epochs
    if args.child:
        with open(args.result, "w", encoding="utf-8") as file:
            json.dump(hf_child(args), file)
        return
    for path in (args.train_file, args.dev_file):
        if not os.path.isfile(path):
            sys.exit(f"{path}: no such file (the study reads ../shared/data; pass "
                     "--train-file/--dev-file)")

    runs = earlier_runs(args) if args.extend else {system: [] for system in args.systems}
    seeds = [run["seed"] for run in runs[args.systems[0]]] + args.seeds
    with tempfile.TemporaryDirectory() as workdir:
        for seed in args.seeds:
            for system in args.systems:
                result = (run_ours if system == "ours" else run_hf)(args, seed, workdir)
                runs[system].append({"seed": seed, **result})
                print(f"{args.task} seed {seed} {system}: {metric} {result['score']:.4f}, "
                      f"{result['examples_per_second']:.1f} examples/s, "
                      f"{result['seconds']:.0f} s", flush=True)

    report = {system: {"scores": [run["score"] for run in done],
                       **summary([run["score"] for run in done]),
                       "examples_per_second": statistics.fmean(
                           run["examples_per_second"] for run in done)}
              for system, done in runs.items()}
    if set(runs) == {"ours", "hf"}:
        report["ours_minus_hf"] = summary([a["score"] - b["score"]
                                           for a, b in zip(runs["ours"], runs["hf"])])
        report["ours_speedup"] = (report["ours"]["examples_per_second"]
                                  / report["hf"]["examples_per_second"])
    print(f"\n{args.task}: {args.train_rows or 'all'} rows, {args.epochs} epoch(s), batch "
          f"{args.batch_size}, lr {args.learning_rate}, seeds {seeds}, "
          f"{os.cpu_count()} CPU(s); dev {metric}\n")
    print_table(("system", f"dev {metric} per seed", "mean ± std", "examples/s"),
                [(system, " ".join(f"{value:.4f}" for value in report[system]["scores"]),
                  f"{report[system]['mean']:.4f} ± {report[system]['std']:.4f}",
                  f"{report[system]['examples_per_second']:.1f}") for system in runs])
    if "ours_minus_hf" in report:
        paired = report["ours_minus_hf"]
        print(f"\nours - HF, paired by seed: {paired['mean']:+.4f} ± {paired['ci95']:.4f} "
              f"(95% CI); ours is {report['ours_speedup']:.2f}x faster")
    output = output_path(args)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w", encoding="utf-8") as file:
        json.dump({"task": args.task, "train_rows": args.train_rows, "epochs": args.epochs,
                   "batch_size": args.batch_size, "seq_length": args.seq_length,
                   "learning_rate": args.learning_rate, "seeds": seeds,
                   "ours_flags": args.ours_flag, "ours_ablation": args.ours_ablation,
                   "cpus": os.cpu_count(), "runs": runs,
                   "report": report}, file, indent=2)
        file.write("\n")


if __name__ == "__main__":
    main()
