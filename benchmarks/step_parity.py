"""Benchmark: does a fine-tuning step of ours equal Hugging Face's? Loss per step, side by side.

The seed study (`seed_study.py`) compares the two recipes with their randomness; this takes
the randomness out: all-MiniLM-L6-v2 in both systems, the same token ids (HF's tokenizer),
the same batches (the first `--steps` x 32 SST-2 train rows, in file order, each padded to
its longest), the same head weights (HF's, copied into ours), no dropout, and the seed
study's optimizer (AdamW 5e-5, 10% warm-up of 125 steps then linear decay, weight decay 0.01
off LayerNorm and biases, epsilon 1e-6, clip norm 1.0). Ours is our model and
`make_optimizer` under a plain `tf.GradientTape` step; HF's is `BertForSequenceClassification`
and `torch.optim.AdamW`. Prints the two losses every 10 steps and both dev accuracies;
writes `benchmarks/results/step_parity.json`. `--ours-ablation NAME` puts back an old detail
(`ablations.py`), for example Keras' own Adam step.

    python benchmarks/step_parity.py
    python benchmarks/step_parity.py --steps 40 --ours-ablation keras_adam_epsilon \
        --output benchmarks/results/step_parity_keras_adam_step.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from ablations import ABLATIONS  # noqa: E402
from common import ROOT, minilm_dir  # noqa: E402
from seed_study import (CLIPNORM, EPSILON, SHARED_DATA, WARMUP_RATIO,  # noqa: E402
                        WEIGHT_DECAY, hf_optimizer, read_task)

BATCH, TOTAL_STEPS, LEARNING_RATE = 32, 125, 5e-5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=TOTAL_STEPS, help="at most 125")
    parser.add_argument("--ours-ablation", choices=sorted(ABLATIONS), action="append",
                        default=[], help="put back one old detail of ours, repeatable")
    parser.add_argument("--output", help="default: benchmarks/results/step_parity.json")
    args = parser.parse_args()
    for name in args.ours_ablation:
        ABLATIONS[name]()

    import keras
    import numpy as np
    import tensorflow as tf
    import torch
    from transformers import BertForSequenceClassification, BertTokenizerFast

    from bert_keras.models import bert_classifier
    from bert_keras.optimizers import make_optimizer
    from bert_keras.pretrained import find_source, load_encoder

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    theirs = BertForSequenceClassification.from_pretrained(minilm_dir(), num_labels=2,
                                                           local_files_only=True)
    tokenizer = BertTokenizerFast.from_pretrained(minilm_dir(), local_files_only=True)
    ours = bert_classifier(load_encoder(find_source(minilm_dir())), num_classes=2)
    head = ours.get_layer("logits").dense
    head.kernel.assign(theirs.classifier.weight.detach().numpy().T)
    head.bias.assign(theirs.classifier.bias.detach().numpy())

    warmup = int(WARMUP_RATIO * TOTAL_STEPS)
    our_optimizer = make_optimizer("adamw", learning_rate=LEARNING_RATE,
                                   num_train_steps=TOTAL_STEPS, warmup_steps=warmup,
                                   weight_decay=WEIGHT_DECAY, global_clipnorm=CLIPNORM,
                                   epsilon=EPSILON)
    their_optimizer, schedule = hf_optimizer(theirs, LEARNING_RATE, TOTAL_STEPS)
    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def encode(rows):
        return tokenizer(*zip(*rows), padding=True, truncation=True, max_length=128,
                         return_tensors="pt")

    def as_ours(batch):
        return {"input_word_ids": tf.constant(batch["input_ids"].numpy(), tf.int32),
                "input_mask": tf.constant(batch["attention_mask"].numpy(), tf.int32),
                "input_type_ids": tf.constant(batch["token_type_ids"].numpy(), tf.int32)}

    @tf.function(reduce_retracing=True)
    def our_step(inputs, labels):
        with tf.GradientTape() as tape:
            loss = loss_function(labels, ours(inputs, training=False))
        variables = ours.trainable_variables
        our_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    texts, labels = read_task("sst2", os.path.join(SHARED_DATA, "sst2", "train.tsv"))
    theirs.eval()  # no dropout; gradients still flow
    losses = []
    for step in range(min(args.steps, TOTAL_STEPS)):
        rows = range(step * BATCH, (step + 1) * BATCH)
        batch = encode([texts[i] for i in rows])
        targets = [labels[i] for i in rows]
        our_loss = float(our_step(as_ours(batch), tf.constant(targets)))
        their_loss = theirs(**batch, labels=torch.tensor(targets)).loss
        their_loss.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), CLIPNORM)
        their_optimizer.step()
        schedule.step()
        their_optimizer.zero_grad()
        losses.append((our_loss, their_loss.item()))
        if step % 10 == 0 or step == args.steps - 1:
            print(f"step {step:3d}: loss ours {our_loss:.5f}, HF {their_loss.item():.5f}, "
                  f"difference {our_loss - their_loss.item():+.2e}", flush=True)

    dev_texts, dev_labels = read_task("sst2", os.path.join(SHARED_DATA, "sst2", "dev.tsv"))
    predicted = {"ours": [], "hf": []}
    with torch.inference_mode():
        for start in range(0, len(dev_texts), 64):
            batch = encode(dev_texts[start:start + 64])
            predicted["hf"] += theirs(**batch).logits.argmax(-1).tolist()
            predicted["ours"] += ours(as_ours(batch)).numpy().argmax(-1).tolist()
    accuracy = {system: float(np.mean(np.array(values) == np.array(dev_labels)))
                for system, values in predicted.items()}
    disagree = int(sum(a != b for a, b in zip(predicted["ours"], predicted["hf"])))
    print(f"dev accuracy: ours {accuracy['ours']:.4f}, HF {accuracy['hf']:.4f}; the two "
          f"disagree on {disagree} of {len(dev_labels)} sentences")
    output = args.output or os.path.join(ROOT, "benchmarks", "results", "step_parity.json")
    with open(output, "w", encoding="utf-8") as file:
        json.dump({"steps": len(losses), "ours_ablation": args.ours_ablation,
                   "losses": [{"ours": a, "hf": b} for a, b in losses],
                   "dev_accuracy": accuracy, "dev_disagreements": disagree}, file, indent=2)
        file.write("\n")


if __name__ == "__main__":
    main()
