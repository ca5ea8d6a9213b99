"""Scores a `bert-keras pretrain` run on freshly masked text: MLM loss and accuracy, NSP accuracy.

    python scripts/mlm_eval.py runs/mini --text corpus.txt --batches 100 --seed 7

Training metrics on static shards partly measure masks the model has seen before (each shard
instance comes round once per pass). Here the sentence pairs and masks are drawn anew from
raw text (dynamic masking, `--seed` different from the training seed), with the run's own
sequence length, vocabulary and casing, so the scores say how well the model predicts masked
tokens it was never shown masked in that position.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import keras

from bert_keras.run_dir import RunSpec
from bert_keras.training.pretraining.text_inputs import text_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a bert-keras pretrain output directory")
    parser.add_argument("--text", nargs="+", required=True,
                        help="raw text files (a sentence per line, a blank line between documents)")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7, help="pairs and masks (use one the run "
                                                            "did not train with)")
    args = parser.parse_args()
    spec = RunSpec.load(args.run_dir)
    if spec.kind != "pretrainer":
        sys.exit(f"{args.run_dir}: not a pretrain run (task {spec.task!r})")
    data, _ = text_dataset(args.text, os.path.join(args.run_dir, "vocab.txt"), spec.lowercase,
                           args.batch_size, seq_length=spec.seq_length,
                           max_predictions=spec.options["max_predictions"], seed=args.seed)
    model = keras.models.load_model(os.path.join(args.run_dir, "model.keras"))
    scores = model.evaluate(data, steps=args.batches, return_dict=True, verbose=1)
    print(json.dumps({"run": args.run_dir, "examples": args.batches * args.batch_size,
                      **{name: round(float(value), 4) for name, value in scores.items()}}))


if __name__ == "__main__":
    main()
