"""Recipe details that the seed study (`seed_study.py --ours-ablation NAME`) can change one at
a time in our fine-tuning run, where no command-line flag reaches them.

Each ablation puts back one detail our recipe had before the seed study (docs/results.md,
"Fine-tuning quality over seeds") inside the `bert-keras` process, then runs the command
line as usual; flags (`--bucket-pool`, `--weight-decay`, `--warmup-ratio`) cover the rest:

- `keras_adam_epsilon`: Keras' own Adam step, `lr * sqrt(1 - b2^t) / (1 - b1^t) * m /
  (sqrt(v) + eps)`, whose epsilon is in effect `eps / sqrt(1 - b2^t)`, instead of
  torch's `lr * m_hat / (sqrt(v_hat) + eps)` (`bert_keras.optimizers.AdamW`);
- `head_init_truncated`: the task head's kernel from a normal truncated at 2 stddev, as
  Google's BERT draws it, instead of Hugging Face's plain normal.

    python benchmarks/ablations.py keras_adam_epsilon,head_init_truncated finetune ...
"""

from __future__ import annotations

import sys
from typing import Callable


def keras_adam_epsilon() -> None:
    import keras

    from bert_keras import optimizers

    optimizers.AdamW.update_step = keras.optimizers.AdamW.update_step


def head_init_truncated() -> None:
    import keras

    from bert_keras.layers import heads

    heads._kernel_initializer = lambda stddev: keras.initializers.TruncatedNormal(stddev=stddev)


ABLATIONS: dict[str, Callable[[], None]] = {
    "keras_adam_epsilon": keras_adam_epsilon, "head_init_truncated": head_init_truncated}


def main(argv: list[str]) -> int:
    names = argv[0].split(",") if argv else []
    if not names or not set(names) <= set(ABLATIONS):
        sys.exit(f"usage: ablations.py NAME[,NAME...] BERT-KERAS-ARGS... (names: "
                 f"{', '.join(ABLATIONS)})")
    for name in names:
        ABLATIONS[name]()
    from bert_keras.cli import main as bert_keras_main

    return bert_keras_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
