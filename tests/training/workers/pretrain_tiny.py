"""Pretrains a tiny BERT on the shipped sample text (or the shards in `--data`) with
`bert_keras.training.pretraining.pretrain`, optionally sleeping after backup step
`--pause-at-step` (so that a test can kill it there), under `--strategy` (`--logical-cpus 2`
for `mirrored` on one CPU; `multi_worker` reads TF_CONFIG). `--result FILE` saves the final
weights (every worker's, as `.npz`). Prints `DONE` at the end."""

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    parser.add_argument("--pause-at-step", type=int, default=0)
    parser.add_argument("--strategy", default="default")
    parser.add_argument("--logical-cpus", type=int, default=1)
    parser.add_argument("--data", help="create-pretraining-data shards instead of the text")
    parser.add_argument("--result", help="where to save the final weights (.npz)")
    args = parser.parse_args()
    import tensorflow as tf

    if args.logical_cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args.logical_cpus)
    import keras
    import numpy as np

    from bert_keras.training.options import PretrainOptions
    from bert_keras.training.pretraining.pretrain import pretrain

    class PauseAt(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step = 0

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1  # counts from the resumed step's first batch; unused after resume
            if self.step == args.pause_at_step:
                print("PAUSED", flush=True)
                time.sleep(600)

        def on_train_end(self, logs=None):  # model.keras keeps no optimizer: say it here
            steps = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
            print(f"OPTIMIZER_STEPS {steps}", flush=True)
            if args.result:
                np.savez(args.result, *self.model.get_weights())

    data = ({"data_dir": args.data} if args.data else
            {"text_files": [str(REPO / "tests/data/pretrain/sample_text.txt")]})
    pretrain(args.output, "random:tiny", **data,
             vocab=str(REPO / "tests/data/text/bert_uncased_vocab.txt"), verbose=0,
             options=PretrainOptions(seq_length=32, max_predictions=5, batch_size=4,
                                     num_train_steps=15, steps_per_epoch=5, save_every=2,
                                     strategy=args.strategy),
             callbacks=[PauseAt()])
    print("DONE", flush=True)


if __name__ == "__main__":
    sys.exit(main())
