"""Trains a tiny BERT classifier under a named strategy; used by the strategy, multi-worker
and resume tests as a separate process (device set-up and TF_CONFIG must precede TensorFlow's
initialisation, and a crash test needs a process to kill).

Prints `step N` after every batch, `resumed from step N` at start, `PAUSED` before sleeping
at `--pause-at-step` (so that a test can kill it there), and an error the command line
expects as one line `error: ...` (then exits with status 2, as `bert-keras` does). Writes to
`--result` the number of replicas, whether it is the chief, `optimizer.iterations`, the
per-epoch losses, the loss on all data and the final weights (flattened).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--strategy", default="default")
    parser.add_argument("--logical-cpus", type=int, default=1)
    parser.add_argument("--output", required=True, help="run directory (callbacks write here)")
    parser.add_argument("--result", required=True, help=".npz written at the end")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps-per-epoch", type=int, default=4)
    parser.add_argument("--global-batch", type=int, default=8)
    parser.add_argument("--save-freq", type=int, default=2)
    parser.add_argument("--pause-at-step", type=int, default=0)
    parser.add_argument("--reshuffle", action="store_true",
                        help="a new order every epoch (compare runs of one strategy only)")
    parser.add_argument("--dev-metrics", action="store_true",
                        help="score every epoch with DevMetrics (predict on all examples)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    import tensorflow as tf

    if args.logical_cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args.logical_cpus)

    import keras
    import numpy as np

    from bert_keras import BertConfig
    from bert_keras.models import bert_classifier
    from bert_keras.training.callbacks import DevMetrics, StepBackup, make_callbacks
    from bert_keras.training.fit import fit
    from bert_keras.optimizers import make_optimizer
    from bert_keras.training.strategy import batch_for_strategy, is_chief, make_strategy

    class Steps(keras.callbacks.Callback):
        def __init__(self, backup):
            super().__init__()
            self.backup = backup

        def on_train_batch_end(self, batch, logs=None):
            print(f"step {self.backup.step}", flush=True)
            if self.backup.step == args.pause_at_step:
                print("PAUSED", flush=True)
                time.sleep(600)

    strategy = make_strategy(args.strategy)
    keras.utils.set_random_seed(0)
    examples = args.steps_per_epoch * args.global_batch
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 99, size=(examples, 8)).astype("int32")
    labels = (ids[:, 1] % 2).astype("int32")
    x = {"input_word_ids": ids, "input_mask": np.ones_like(ids),
         "input_type_ids": np.zeros_like(ids)}
    per_replica = args.global_batch // strategy.num_replicas_in_sync

    def train_pass():
        data = tf.data.Dataset.from_tensor_slices((x, labels)).shuffle(
            examples, seed=1, reshuffle_each_iteration=args.reshuffle)
        return batch_for_strategy(data, strategy, per_replica)

    config = BertConfig(vocab_size=99, hidden_size=32, num_layers=2, num_heads=4,
                        intermediate_size=64, max_position_embeddings=64, dropout_rate=0.0,
                        attention_dropout_rate=0.0)
    with strategy.scope():
        model = bert_classifier(config, num_classes=2, dropout_rate=0.0)
        model.compile(make_optimizer("adamw", learning_rate=5e-3,
                                     num_train_steps=args.epochs * args.steps_per_epoch,
                                     warmup_steps=2),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    def dev_accuracy(trained):
        predicted = trained.predict(x, batch_size=args.global_batch, verbose=0).argmax(-1)
        if len(predicted) != examples:
            raise ValueError(f"predict returned {len(predicted)} rows for {examples} examples")
        return {"accuracy": float((predicted == labels).mean())}

    dev_metrics = DevMetrics(dev_accuracy, verbose=False) if args.dev_metrics else None
    callbacks = make_callbacks(args.output, monitor="val_accuracy" if dev_metrics else "loss",
                               mode="max" if dev_metrics else "min", save_freq=args.save_freq,
                               strategy=strategy, dev_metrics=dev_metrics)
    backup = next(c for c in callbacks if isinstance(c, StepBackup))
    print(f"replicas {strategy.num_replicas_in_sync}", flush=True)
    print(f"resumed from step {backup.latest_step()}", flush=True)
    history = fit(model, train_pass, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                  callbacks=callbacks + [Steps(backup)], verbose=0)
    full = tf.data.Dataset.from_tensor_slices((x, labels)).batch(args.global_batch)
    np.savez(args.result, replicas=strategy.num_replicas_in_sync, chief=is_chief(strategy),
             iterations=int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
             losses=np.array(history.get("loss", [])),
             dev_accuracy=np.array(history.get("val_accuracy", [])),
             final_loss=model.evaluate(full, verbose=0),
             weights=np.concatenate([np.ravel(w) for w in model.get_weights()]))
    print("DONE", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # as the command line ends on an error it expects
        from bert_keras.cli import ERROR_STATUS, EXPECTED_ERRORS, describe_error

        if not isinstance(error, EXPECTED_ERRORS):
            raise
        print(f"error: {describe_error(error)}", flush=True)
        sys.exit(ERROR_STATUS)
