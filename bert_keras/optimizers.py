"""Optimizers for BERT: AdamW and LAMB without decay on LayerNorm and bias weights, linear
warmup followed by linear or polynomial decay, gradient clipping by global norm.

All classes are registered Keras serializables (package `bert_keras`), so a compiled model
saved as `.keras` reloads with its optimizer, exclusions and schedule intact.

Example:
    >>> optimizer = make_optimizer("adamw", learning_rate=2e-5, num_train_steps=1000,
    ...                            warmup_steps=100)
    >>> round(float(optimizer.learning_rate), 8)   # step 0 of the warmup
    0.0
"""

from __future__ import annotations

import re
from typing import Sequence

import keras
from keras import ops
from bert_keras.registration import register_all

# Searched (re.search) in variable names. Keras hands the optimizer either the short name
# (`gamma`) or, under TensorFlow, the full path (`transformer_layer_0/output_layer_norm/gamma:0`);
# this matches both. LayerNorm scale/offset and every bias stay undecayed, as in Google's BERT.
NO_DECAY_PATTERNS = (r"(^|/)(gamma|beta|bias)(:\d+)?$",)
DECAYS = ("linear", "polynomial")


@keras.saving.register_keras_serializable(package="bert_keras")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup from 0 to `peak_learning_rate` over `warmup_steps`, then decay to
    `end_learning_rate` at `num_train_steps` (held there afterwards).

    `decay="linear"` is the polynomial decay with `power=1`.

    Example:
        >>> schedule = WarmupDecay(1.0, num_train_steps=10, warmup_steps=2)
        >>> [round(float(schedule(step)), 3) for step in (0, 1, 2, 6, 10)]
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    def __init__(self, peak_learning_rate: float, num_train_steps: int, warmup_steps: int = 0,
                 decay: str = "linear", power: float = 1.0, end_learning_rate: float = 0.0):
        if decay not in DECAYS:
            raise ValueError(f"unknown decay {decay!r}; valid names: {', '.join(DECAYS)}")
        if decay == "linear" and power != 1.0:
            raise ValueError(f"decay='linear' means power=1.0, got power={power}; "
                             "use decay='polynomial'")
        if num_train_steps < 1:
            raise ValueError(f"num_train_steps must be >= 1, got {num_train_steps}")
        if not 0 <= warmup_steps <= num_train_steps:
            raise ValueError(f"warmup_steps must be in [0, num_train_steps={num_train_steps}], "
                             f"got {warmup_steps}")
        self.peak_learning_rate = peak_learning_rate
        self.num_train_steps = num_train_steps
        self.warmup_steps = warmup_steps
        self.decay = decay
        self.power = power
        self.end_learning_rate = end_learning_rate

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = self.peak_learning_rate * step / max(self.warmup_steps, 1)
        decay_steps = max(self.num_train_steps - self.warmup_steps, 1)
        remaining = 1.0 - ops.clip((step - self.warmup_steps) / decay_steps, 0.0, 1.0)
        decayed = ((self.peak_learning_rate - self.end_learning_rate)
                   * ops.power(remaining, self.power) + self.end_learning_rate)
        return ops.where(step < self.warmup_steps, warmup, decayed)

    def get_config(self) -> dict:
        return {"peak_learning_rate": self.peak_learning_rate,
                "num_train_steps": self.num_train_steps, "warmup_steps": self.warmup_steps,
                "decay": self.decay, "power": self.power,
                "end_learning_rate": self.end_learning_rate}


def _adam_direction(optimizer: keras.optimizers.Optimizer, gradient, variable):
    """Updates `variable`'s Adam moments with `gradient` and returns torch's Adam direction,
    `m_hat / (sqrt(v_hat) + epsilon)`: the step of `AdamW` and the update `Lamb` scales."""
    gradient = ops.cast(gradient, variable.dtype)
    local_step = ops.cast(optimizer.iterations + 1, variable.dtype)
    index = optimizer._get_variable_index(variable)
    m, v = optimizer._momentums[index], optimizer._velocities[index]
    optimizer.assign_add(m, (gradient - m) * (1 - optimizer.beta_1))
    optimizer.assign_add(v, (ops.square(gradient) - v) * (1 - optimizer.beta_2))
    m_hat = m / (1.0 - ops.power(ops.cast(optimizer.beta_1, variable.dtype), local_step))
    v_hat = v / (1.0 - ops.power(ops.cast(optimizer.beta_2, variable.dtype), local_step))
    return m_hat / (ops.sqrt(v_hat) + optimizer.epsilon)


@keras.saving.register_keras_serializable(package="bert_keras")
class AdamW(keras.optimizers.AdamW):
    """Keras AdamW (decoupled weight decay) that skips variables whose name matches one of
    `exclude_from_weight_decay` (regular expressions; default: LayerNorm and bias weights),
    and steps as `torch.optim.AdamW`: `lr * m_hat / (sqrt(v_hat) + epsilon)`.

    Why its own step: Keras' Adam computes `lr * sqrt(1 - b2^t) / (1 - b1^t) * m /
    (sqrt(v) + epsilon)`, which is the same except that epsilon acts as
    `epsilon / sqrt(1 - b2^t)`: 31x larger at the first step, 3x after 100. Fine-tuning runs
    are short enough for that to show: fed the same batches without dropout, Keras' step
    made the loss of all-MiniLM-L6-v2 on SST-2 trail Hugging Face's from step 10 (by 0.045
    at step 30), while this one matches it to 4e-7 for 20 steps (docs/results.md,
    "Fine-tuning quality over seeds").

    Example:
        >>> optimizer = AdamW(learning_rate=1e-3, weight_decay=0.01)
        >>> optimizer.get_config()["exclude_from_weight_decay"] == list(NO_DECAY_PATTERNS)
        True
    """

    def __init__(self, *args,
                 exclude_from_weight_decay: Sequence[str] = NO_DECAY_PATTERNS, **kwargs):
        super().__init__(*args, **kwargs)
        self.exclude_patterns = list(exclude_from_weight_decay)
        self.exclude_from_weight_decay(var_names=self.exclude_patterns)

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        self.assign_sub(variable, lr * _adam_direction(self, gradient, variable))

    def get_config(self) -> dict:
        return {**super().get_config(), "exclude_from_weight_decay": self.exclude_patterns}


@keras.saving.register_keras_serializable(package="bert_keras")
class Lamb(keras.optimizers.Lamb):
    """LAMB as in the paper and Google's BERT pretraining code (You et al., 2019).

    Unlike `keras.optimizers.Lamb`, which applies weight decay outside the layer-wise trust
    ratio and adapts every variable, the decay term is part of the update that the trust
    ratio scales, and variables matching `exclude_from_layer_adaptation` (default: the same
    patterns as `exclude_from_weight_decay`, LayerNorm and biases) get a trust ratio of 1.

    Example:
        >>> optimizer = Lamb(learning_rate=1e-3, weight_decay=0.01)
        >>> optimizer.get_config()["exclude_from_layer_adaptation"] == list(NO_DECAY_PATTERNS)
        True
    """

    def __init__(self, *args, exclude_from_weight_decay: Sequence[str] = NO_DECAY_PATTERNS,
                 exclude_from_layer_adaptation: Sequence[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.exclude_patterns = list(exclude_from_weight_decay)
        self.exclude_from_weight_decay(var_names=self.exclude_patterns)
        self.no_adaptation_patterns = list(
            self.exclude_patterns if exclude_from_layer_adaptation is None
            else exclude_from_layer_adaptation)
        self._no_adaptation = (re.compile("|".join(self.no_adaptation_patterns))
                               if self.no_adaptation_patterns else None)

    def _apply_weight_decay(self, variables):
        """Weight decay is part of `update_step` here, not a separate decoupled step."""

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        update = _adam_direction(self, gradient, variable)
        if self.weight_decay and self._use_weight_decay(variable):
            update = update + ops.cast(self.weight_decay, variable.dtype) * variable
        ratio = 1.0
        if self._no_adaptation is None or not self._no_adaptation.search(variable.name):
            w_norm = ops.sqrt(ops.sum(ops.square(variable)))
            u_norm = ops.sqrt(ops.sum(ops.square(update)))
            ratio = ops.where(ops.logical_and(w_norm > 0, u_norm > 0), w_norm / u_norm, 1.0)
        self.assign_sub(variable, ratio * lr * update)

    def get_config(self) -> dict:
        return {**super().get_config(), "exclude_from_weight_decay": self.exclude_patterns,
                "exclude_from_layer_adaptation": self.no_adaptation_patterns}


OPTIMIZERS = {"adamw": AdamW, "lamb": Lamb}


def make_optimizer(name: str = "adamw", learning_rate: float = 5e-5,
                   num_train_steps: int = 1, warmup_steps: int = 0,
                   weight_decay: float = 0.01, decay: str = "linear", power: float = 1.0,
                   end_learning_rate: float = 0.0, global_clipnorm: float | None = 1.0,
                   beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-6,
                   exclude_from_weight_decay: Sequence[str] = NO_DECAY_PATTERNS,
                   gradient_accumulation_steps: int | None = None,
                   ) -> keras.optimizers.Optimizer:
    """The BERT fine-tuning (`adamw`) or pretraining (`lamb`) optimizer with a `WarmupDecay`
    schedule peaking at `learning_rate`; gradients clipped to `global_clipnorm` (global norm
    over all gradients; `None` turns clipping off). `gradient_accumulation_steps=N` (>= 2)
    averages the gradients of N batches per update (Keras' own accumulation); the schedule
    then still counts batches, so give `num_train_steps`/`warmup_steps` in batches.

    Build it inside `strategy.scope()` together with the model. Under `mixed_float16`,
    `model.compile` wraps it in a `keras.optimizers.LossScaleOptimizer` by itself; clipping
    and weight decay then see unscaled gradients.

    Example:
        >>> optimizer = make_optimizer("lamb", learning_rate=1e-3, num_train_steps=100,
        ...                            warmup_steps=10, decay="polynomial", power=0.5)
        >>> type(optimizer).__name__, optimizer.global_clipnorm
        ('Lamb', 1.0)
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid names: {', '.join(OPTIMIZERS)}")
    schedule = WarmupDecay(learning_rate, num_train_steps, warmup_steps, decay=decay,
                           power=power, end_learning_rate=end_learning_rate)
    return OPTIMIZERS[name](learning_rate=schedule, weight_decay=weight_decay, beta_1=beta_1,
                            beta_2=beta_2, epsilon=epsilon, global_clipnorm=global_clipnorm,
                            exclude_from_weight_decay=exclude_from_weight_decay,
                            gradient_accumulation_steps=gradient_accumulation_steps)


register_all(finished=__name__)  # see bert_keras.registration
