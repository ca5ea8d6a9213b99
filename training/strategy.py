"""Distribution strategies, batching under a strategy, and mixed precision by name.

Build the model and the optimizer inside `strategy.scope()`; `model.fit` then distributes a
`tf.data.Dataset` of global batches by itself.

Example:
    >>> strategy = make_strategy("default")
    >>> global_batch_size(strategy, per_replica_batch_size=8)
    8
    >>> needs_drop_remainder(strategy)
    False
"""

from __future__ import annotations

import json
import os
import re
from typing import Callable

import keras
import tensorflow as tf

PRECISION_POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


# What TPUClusterResolver raises when it finds no TPU: no chips here, no name to look up, a
# name the Cloud TPU API does not know or cannot be asked about (RuntimeError), no network.
_NO_TPU_ERRORS = (ValueError, RuntimeError, OSError, tf.errors.NotFoundError)


def _named_tpu_resolver(tpu: str) -> tf.distribute.cluster_resolver.TPUClusterResolver:
    """The TPU that `--tpu` names: `local` (this TPU VM's chips), a Cloud TPU name (looked up
    with the Cloud TPU API) or `grpc://host:port`; a RuntimeError naming the flag if it is not
    found."""
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        if tpu == "local" and resolver.num_accelerators().get("TPU", 0) == 0:
            raise RuntimeError("this host has no TPU chips")
    except _NO_TPU_ERRORS as error:
        raise RuntimeError(f"no TPU found for --tpu {tpu}: {error}") from error
    return resolver


def _tpu_resolver(tpu: str | None = None) -> tf.distribute.cluster_resolver.TPUClusterResolver:
    """The TPU that `tpu` names (see `_named_tpu_resolver`); without a name the TPU of this
    runtime: the chips of this host first (`tpu="local"`: a TPU VM, such as Cloud TPU VMs and
    Colab's TPU runtimes), then the default resolver (a TPU node named by the environment,
    e.g. `TPU_NAME` or older Colab's `COLAB_TPU_ADDR`)."""
    if tpu is not None:
        return _named_tpu_resolver(tpu)
    resolvers = tf.distribute.cluster_resolver
    try:
        local = resolvers.TPUClusterResolver(tpu="local")
        if local.num_accelerators().get("TPU", 0) > 0:
            return local
    except _NO_TPU_ERRORS:
        pass  # not a TPU VM: try a TPU node
    try:
        return resolvers.TPUClusterResolver()
    except _NO_TPU_ERRORS as error:
        raise RuntimeError(f"no TPU found (no TPU on this host, and TPUClusterResolver() "
                           f"failed: {error}); use strategy 'auto' to fall back to GPUs or the "
                           "CPU, or --tpu to name the TPU") from error


def _tpu_strategy(tpu: str | None = None) -> tf.distribute.TPUStrategy:
    resolver = _tpu_resolver(tpu)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _tpu_reachable() -> bool:
    try:
        _tpu_resolver()
    except RuntimeError:
        return False
    return True


def _check_tf_config() -> None:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ValueError("strategy 'multi_worker' needs the TF_CONFIG environment variable, e.g. "
                         '{"cluster": {"worker": ["host0:port", "host1:port"]}, '
                         '"task": {"type": "worker", "index": 0}}')
    try:
        tf_config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON ({error}): {raw!r}") from error
    cluster = tf_config.get("cluster") if isinstance(tf_config, dict) else None
    task = tf_config.get("task") if isinstance(tf_config, dict) else None
    if not isinstance(cluster, dict) or not cluster:
        raise ValueError(f"TF_CONFIG needs a non-empty 'cluster' mapping, got: {raw!r}")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ValueError(f"TF_CONFIG needs 'task': {{'type': ..., 'index': ...}}, got: {raw!r}")
    members = cluster.get(task["type"])
    if not isinstance(members, list) or not 0 <= task["index"] < len(members):
        raise ValueError(f"TF_CONFIG task {task} is not in its cluster {cluster}")


class _MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`MultiWorkerMirroredStrategy` with a `reduce` that Keras 3 `fit` can use.

    With more than one worker, Keras 3.15 `fit` calls `reduce` on a whole nested input batch
    (`_maybe_symbolic_build`: "Attempt to convert a value ({'input_word_ids': PerReplica...")
    and with `axis=0` on scalar metric results ("Invalid reduction dimension 0 for input with
    0 dimensions"); see keras-team/keras#20585 and #20329. Here nested values are reduced
    leaf by leaf and scalars across replicas only.
    """

    def reduce(self, reduce_op, value, axis):
        if tf.nest.is_nested(value):
            return tf.nest.map_structure(lambda leaf: self.reduce(reduce_op, leaf, axis), value)
        if axis is not None and self.experimental_local_results(value)[0].shape.rank == 0:
            axis = None
        return super().reduce(reduce_op, value, axis)


def _multi_worker_strategy() -> tf.distribute.MultiWorkerMirroredStrategy:
    _check_tf_config()
    return _MultiWorkerMirroredStrategy()


def _gpu_strategy() -> tf.distribute.Strategy:
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    if len(gpus) == 1:
        return tf.distribute.OneDeviceStrategy(gpus[0].name)
    return tf.distribute.get_strategy()


def _mirrored_strategy() -> tf.distribute.MirroredStrategy:
    if tf.config.list_logical_devices("GPU"):
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])


def _auto_strategy() -> tf.distribute.Strategy:
    return _tpu_strategy() if _tpu_reachable() else _gpu_strategy()


def _one_device_strategy() -> tf.distribute.OneDeviceStrategy:
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")


STRATEGIES: dict[str, Callable[[], tf.distribute.Strategy]] = {
    "auto": _auto_strategy,
    "default": tf.distribute.get_strategy,
    "one_device": _one_device_strategy,
    "mirrored": _mirrored_strategy,
    "multi_worker": _multi_worker_strategy,
    "tpu": _tpu_strategy,
}


def make_strategy(name: str | tf.distribute.Strategy = "auto",
                  tpu: str | None = None) -> tf.distribute.Strategy:
    """A `tf.distribute.Strategy` by name (a strategy passed in is returned as it is, so
    `finetune` and `pretrain` take either).

    `tpu` (the `--tpu` flag) names the TPU of `tpu` and `auto`: a Cloud TPU name,
    `grpc://host:port`, or `local` (the chips of this TPU VM); a TPU named but not found is
    an error, even under `auto`. Without it the TPU is looked for as below.

    - `auto`: a TPU if `TPUClusterResolver` finds one, else `MirroredStrategy` over all GPUs
      (more than one), `OneDeviceStrategy` (one GPU), or the default strategy (CPU).
    - `default`: TensorFlow's default (no distribution).
    - `one_device`: the first GPU, else the CPU.
    - `mirrored`: `MirroredStrategy` over all local GPUs; without GPUs over all logical CPU
      devices (see `tf.config.set_logical_device_configuration`).
    - `multi_worker`: `MultiWorkerMirroredStrategy`, cluster and task from `TF_CONFIG`.
    - `tpu`: connects to and initialises the TPU system, then `TPUStrategy`.

    Example:
        >>> make_strategy("default").num_replicas_in_sync
        1
    """
    if tpu is not None and (isinstance(name, tf.distribute.Strategy)
                            or name not in ("tpu", "auto")):
        shown = type(name).__name__ if isinstance(name, tf.distribute.Strategy) else name
        raise ValueError(f"tpu (--tpu): a TPU is used only by --strategy tpu or auto, "
                         f"not {shown}")
    if isinstance(name, tf.distribute.Strategy):
        return name
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; valid names: {', '.join(STRATEGIES)}")
    if tpu is not None:  # tpu or auto: the TPU named, or an error
        return _tpu_strategy(tpu)
    return STRATEGIES[name]()


def is_tpu_strategy(strategy: tf.distribute.Strategy) -> bool:
    return isinstance(strategy, (tf.distribute.TPUStrategy, tf.distribute.experimental.TPUStrategy))


def _is_multi_worker(strategy: tf.distribute.Strategy) -> bool:
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return sum(len(cluster.get(job, ())) for job in ("chief", "worker")) > 1


def needs_drop_remainder(strategy: tf.distribute.Strategy) -> bool:
    """Whether batches must all be full: on TPUs (static shapes) and across several workers
    (every worker must run the same number of steps, or the collectives wait forever).

    Example:
        >>> needs_drop_remainder(make_strategy("default"))
        False
    """
    return is_tpu_strategy(strategy) or _is_multi_worker(strategy)


def input_pipelines(strategy: tf.distribute.Strategy) -> int:
    """How many input pipelines `strategy.distribute_datasets_from_function` builds: one per
    worker of a `multi_worker` cluster (chief included), one per host of a TPU slice, else 1
    (one machine: its replicas share one pipeline).

    Example:
        >>> input_pipelines(make_strategy("default"))
        1
    """
    if _is_multi_worker(strategy):
        cluster = strategy.cluster_resolver.cluster_spec().as_dict()
        return sum(len(cluster.get(job, ())) for job in ("chief", "worker"))
    if is_tpu_strategy(strategy):
        return int(getattr(strategy.extended, "num_hosts", 1))
    return 1


def global_batch_size(strategy: tf.distribute.Strategy, per_replica_batch_size: int) -> int:
    """The batch size the dataset must produce: per-replica size times the replicas in sync.

    Example:
        >>> global_batch_size(make_strategy("default"), 32)
        32
    """
    if per_replica_batch_size < 1:
        raise ValueError(f"per_replica_batch_size must be >= 1, got {per_replica_batch_size}")
    return per_replica_batch_size * strategy.num_replicas_in_sync


def batch_for_strategy(dataset: tf.data.Dataset, strategy: tf.distribute.Strategy,
                       per_replica_batch_size: int) -> tf.data.Dataset:
    """Batches unbatched examples into global batches for `strategy` (then prefetches).

    `model.fit` splits each global batch across the replicas; remainders are dropped where
    `needs_drop_remainder(strategy)`.

    Example:
        >>> ds = batch_for_strategy(tf.data.Dataset.range(10), make_strategy("default"), 4)
        >>> [int(batch.shape[0]) for batch in ds]
        [4, 4, 2]
    """
    return dataset.batch(global_batch_size(strategy, per_replica_batch_size),
                         drop_remainder=needs_drop_remainder(strategy)).prefetch(tf.data.AUTOTUNE)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes shared files (checkpoints, logs): always true on one
    machine; under `multi_worker` only the chief (or worker 0 when there is no chief).

    Example:
        >>> is_chief(make_strategy("default"))
        True
    """
    if not _is_multi_worker(strategy):
        return True
    resolver = strategy.cluster_resolver
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict())


def chief_value(strategy: tf.distribute.Strategy, value: int) -> int:
    """The chief's `value` on every worker of a `multi_worker` run (one all-reduce, which
    every worker must join), `value` itself on one machine: e.g. the backup step that all
    workers resume from, whatever the others see on disk.

    Example:
        >>> chief_value(make_strategy("default"), 6)
        6
    """
    if not _is_multi_worker(strategy):
        return value
    chief = 1.0 if is_chief(strategy) else 0.0  # each replica adds (value, 1) on the chief only
    total = strategy.reduce("SUM", strategy.run(
        lambda: tf.constant([value * chief, chief], tf.float64)), axis=None).numpy()
    return int(round(total[0] / total[1]))


class WorkerLostError(RuntimeError):
    """A `multi_worker` run lost a worker: it died, hung or became unreachable, and TensorFlow
    aborted the collectives of the others. Training goes on only when every worker is
    started again with the same command; they resume together from the newest backup."""


# How TensorFlow (2.21) reports a lost peer: a killed process closes its sockets and its
# peers' collectives fail at once (UnavailableError, "Socket closed"); a hung or unreachable
# one stops the heartbeats of the coordination service, which MultiWorkerMirroredStrategy
# starts, and every collective is aborted after its heartbeat timeout (10 s): "The following
# tasks are unhealthy (stopped sending heartbeats)", or "Deadline Exceeded ... Heartbeat"
# when the lost task is the service's leader (the chief, or worker 0).
_ABORTED = re.compile(r"Collective ops is aborted by:\s*(.*?)\s*(?:The error could be from|$)",
                      re.DOTALL)
_REMOTE_TASK = re.compile(r"remote target (/job:[^\s/]+/replica:\d+/task:\d+)")
_UNHEALTHY_TASKS = re.compile(r"stopped sending heartbeats\):\s*((?:/job:\S+\s*)+)")
_PEER_ERRORS = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
                tf.errors.AbortedError, tf.errors.CancelledError)


def worker_lost(strategy: tf.distribute.Strategy, error: Exception) -> WorkerLostError | None:
    """`error` as a one-line `WorkerLostError` if it is a `multi_worker` run's collective that
    failed because a worker was lost (see `_ABORTED`), else None (any other error).

    Example:
        >>> error = tf.errors.UnavailableError(None, None, "Collective ops is aborted by: "
        ...     "Socket closed\\nAdditional GRPC error information from remote target "
        ...     "/job:worker/replica:0/task:1 while calling /tensorflow.WorkerService/RecvBuf")
        >>> worker_lost(make_strategy("default"), error) is None  # one machine: not a peer
        True
    """
    if not _is_multi_worker(strategy) or not isinstance(error, tf.errors.OpError):
        return None
    aborted = _ABORTED.search(error.message)
    if aborted is None and not (isinstance(error, _PEER_ERRORS) and (
            _REMOTE_TASK.search(error.message) or "heartbeat" in error.message.lower())):
        return None  # e.g. a bucket that is unavailable: not a peer
    reason = aborted.group(1) if aborted else error.message
    detail = f" ({reason.splitlines()[0].strip()})" if aborted else ""
    unhealthy = _UNHEALTHY_TASKS.search(reason)
    remote = _REMOTE_TASK.search(reason)
    if unhealthy:
        what = f"{', '.join(unhealthy.group(1).split())} stopped sending heartbeats"
    elif remote:
        what = f"{remote.group(1)} is unreachable{detail}"
    elif "CoordinationService/Heartbeat" in reason:
        what = f"the chief (the coordination service's leader) stopped answering heartbeats{detail}"
    else:
        what = " ".join(reason.split()[:40])
    return WorkerLostError(f"worker lost: {what}")


def set_precision(policy: str = "auto", strategy: tf.distribute.Strategy | None = None) -> str:
    """Sets Keras' global dtype policy by name and returns the name set.

    `auto` picks `mixed_bfloat16` on a TPU strategy, `mixed_float16` on GPUs and `float32`
    otherwise. Under `mixed_float16`, `model.compile` wraps the optimizer in a
    `LossScaleOptimizer` by itself.

    Example:
        >>> set_precision("auto", make_strategy("default"))
        'float32'
    """
    if policy == "auto":
        if strategy is not None and is_tpu_strategy(strategy):
            policy = "mixed_bfloat16"
        elif tf.config.list_logical_devices("GPU"):
            policy = "mixed_float16"
        else:
            policy = "float32"
    if policy not in PRECISION_POLICIES:
        raise ValueError(f"unknown precision policy {policy!r}; valid names: auto, "
                         f"{', '.join(PRECISION_POLICIES)}")
    keras.mixed_precision.set_global_policy(policy)
    return policy
