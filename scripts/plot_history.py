"""Plots a run's `history.csv` (finetune or pretrain) as a PNG, one panel per metric group.

    python scripts/plot_history.py runs/mini --metrics mlm_logits_loss mlm_logits_accuracy nsp_logits_accuracy

Losses go in the left panel, everything else in the right; the PNG is written next to the
history (`RUN_DIR/history.png`) unless `--output` says otherwise.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_history(run_dir: str) -> list[dict[str, str]]:
    path = os.path.join(run_dir, "history.csv")
    if not os.path.exists(path):
        sys.exit(f"{run_dir}: no history.csv; is it a finetune or pretrain output directory?")
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--metrics", nargs="+", help="columns to plot (default: all)")
    parser.add_argument("--title", default=None)
    parser.add_argument("--output", default=None, help="default: RUN_DIR/history.png")
    args = parser.parse_args()
    rows = read_history(args.run_dir)
    columns = args.metrics or [name for name in rows[0] if name != "epoch"]
    missing = [name for name in columns if name not in rows[0]]
    if missing:
        sys.exit(f"{args.run_dir}/history.csv has no column {', '.join(missing)}; it has "
                 f"{', '.join(rows[0])}")
    epochs = [int(row["epoch"]) + 1 for row in rows]
    figure, (losses, others) = plt.subplots(1, 2, figsize=(11, 4))
    for name in columns:
        points = [(epoch, float(row[name])) for epoch, row in zip(epochs, rows) if row[name]]
        axis = losses if "loss" in name else others
        axis.plot(*zip(*points), marker="o", markersize=3, label=name)
    for axis in (losses, others):
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
        if axis.lines:
            axis.legend()
    figure.suptitle(args.title or os.path.basename(os.path.normpath(args.run_dir)))
    figure.tight_layout()
    output = args.output or os.path.join(args.run_dir, "history.png")
    figure.savefig(output, dpi=100)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
