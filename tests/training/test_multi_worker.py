"""MultiWorkerMirroredStrategy for real: worker processes on 127.0.0.1 train the tiny
classifier together and end with identical weights, equal to a one-device run; with a chief
as Kubeflow's TFJob starts one; and a worker killed mid-epoch stops the others at once, and
all of them started again resume from the chief's backup and end like an uninterrupted run."""

import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).with_name("workers")))
from launch import Worker, free_ports, train  # noqa: E402

# How long a worker may take to stop once a peer is killed (it takes about 2 s here; a hung
# peer about 12 s: TensorFlow's coordination service's heartbeat timeout is 10 s).
LOST_WORKER_TIMEOUT = 60


def worker_tf_config(cluster: dict[str, list[str]], task_type: str, index: int) -> dict[str, str]:
    """The environment of one task of `cluster` (`TF_CONFIG`)."""
    return {"TF_CONFIG": json.dumps({"cluster": cluster,
                                     "task": {"type": task_type, "index": index}})}


def tfjob_tf_config(chief_address: str, worker_addresses: list[str], task_type: str,
                    index: int) -> dict[str, str]:
    """The `TF_CONFIG` Kubeflow's training operator sets in each pod of a `TFJob` with
    `Chief` and `Worker` replica specs (chief first; then the workers, numbered from 0)."""
    return worker_tf_config({"chief": [chief_address], "worker": list(worker_addresses)},
                            task_type, index)


def start_workers(tmp_path: Path, name: str, cluster: dict[str, list[str]],
                  *args: str, extra: dict[int, tuple[str, ...]] | None = None) -> list[Worker]:
    """One `train_tiny.py` per worker of `cluster` (no chief), all writing to `tmp_path/name`;
    `extra` adds arguments to some of them (by index)."""
    return [Worker("--strategy", "multi_worker", "--output", str(tmp_path / name),
                   "--result", str(tmp_path / f"{name}-worker{index}.npz"), *args,
                   *(extra or {}).get(index, ()),
                   env=worker_tf_config(cluster, "worker", index))
            for index in range(len(cluster["worker"]))]


def finish_all(workers: list[Worker], timeout: float) -> None:
    try:
        for worker in workers:
            worker.finish(timeout=timeout)
    finally:
        for worker in workers:
            worker.kill()


def read_results(tmp_path: Path, name: str, count: int) -> list[dict]:
    return [dict(np.load(tmp_path / f"{name}-worker{index}.npz")) for index in range(count)]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory) -> dict:
    """An uninterrupted run of two workers (2 epochs of 4 steps, backups every 2 steps, task
    metrics every epoch) and the same run on one device."""
    tmp_path = tmp_path_factory.mktemp("two_workers")
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    finish_all(start_workers(tmp_path, "run", cluster, "--dev-metrics"), timeout=180)
    return {"tmp_path": tmp_path, "workers": read_results(tmp_path, "run", 2),
            "single": train(tmp_path, "single", "--strategy", "default", "--dev-metrics")}


def test_two_workers_train_like_one_device(two_workers):
    first, second = two_workers["workers"]
    single = two_workers["single"]

    assert [bool(first["chief"]), bool(second["chief"])] == [True, False]
    assert int(first["replicas"]) == int(second["replicas"]) == 2
    assert int(first["iterations"]) == int(second["iterations"]) == int(single["iterations"]) == 8
    np.testing.assert_array_equal(first["weights"], second["weights"])
    np.testing.assert_allclose(first["weights"], single["weights"], atol=1e-5)
    np.testing.assert_allclose(first["losses"], single["losses"], rtol=1e-5)
    np.testing.assert_allclose(first["final_loss"], single["final_loss"], rtol=1e-5)
    # DevMetrics predicts on every worker (inside fit, on all examples) and each worker logs
    # the same task metric as the one-device run, so the best model is chosen alike.
    assert len(first["dev_accuracy"]) == 2
    np.testing.assert_array_equal(first["dev_accuracy"], second["dev_accuracy"])
    np.testing.assert_allclose(first["dev_accuracy"], single["dev_accuracy"])
    # Only the chief writes the run directory (the other worker's callbacks are read-only);
    # `logs` is TensorBoard's (tensorboard is a dependency).
    assert sorted(p.name for p in (two_workers["tmp_path"] / "run").iterdir()) == [
        "backup", "best.keras", "history.csv", "logs"]


def test_killed_worker_stops_the_other_and_both_resume_from_the_backup(two_workers, tmp_path):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    # Worker 1 stops after step 7 (epoch 2 of 2; the backup is at step 6) and is killed there
    # while the chief waits for it in step 8's all-reduce.
    chief, victim = workers = start_workers(tmp_path, "run", cluster, "--dev-metrics",
                                            extra={1: ("--pause-at-step", "7")})
    try:
        victim.wait_for("PAUSED", timeout=180)
        chief.wait_for("step 7", timeout=60)
        victim.kill()  # SIGKILL
        killed = time.monotonic()
        status = chief.exit_status(timeout=LOST_WORKER_TIMEOUT)
        stopped_after = time.monotonic() - killed
    finally:
        for worker in workers:
            worker.kill()
    errors = [line for line in chief.lines if line.startswith("error: ")]
    print(f"the chief stopped {stopped_after:.1f} s after its peer was killed: {errors}")
    assert status == 2, chief.output()
    # gRPC's words for the closed connection vary ("Socket closed", "Connection reset").
    assert len(errors) == 1 and re.fullmatch(
        r"error: worker lost: /job:worker/replica:0/task:1 is unreachable \(.+\); start every "
        r"worker again with the same command to resume from the backup at step 6", errors[0])
    assert sorted(p.name for p in (tmp_path / "run" / "backup").iterdir()) == [
        "step-6.seeds.npz", "step-6.weights.h5"]

    resumed = start_workers(tmp_path, "run", cluster, "--dev-metrics")  # the same command
    finish_all(resumed, timeout=180)
    uninterrupted = two_workers["workers"][0]
    for worker, result in zip(resumed, read_results(tmp_path, "run", 2)):
        assert "resumed from step 6" in worker.lines
        assert [line for line in worker.lines if line.startswith("step ")] == ["step 7", "step 8"]
        assert int(result["iterations"]) == int(uninterrupted["iterations"]) == 8
        np.testing.assert_allclose(result["weights"], uninterrupted["weights"], atol=1e-5)
        np.testing.assert_allclose(result["final_loss"], uninterrupted["final_loss"], rtol=1e-5)


def test_chief_and_two_workers_as_a_tfjob_starts_them(tmp_path):
    chief_address, *worker_addresses = (f"127.0.0.1:{port}" for port in free_ports(3))
    # A global batch of 6: 2 examples for each of the 3 replicas. Each task gets its own
    # --output, so that anything a worker wrote would show. Worker 1 sees a backup the chief
    # does not (as after the chief deleted it for --restart): it must start afresh with it.
    tasks = [("chief", 0), ("worker", 0), ("worker", 1)]
    stale = tmp_path / "worker1" / "backup" / "step-4.weights.h5"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"not read")
    processes = [Worker("--strategy", "multi_worker", "--global-batch", "6",
                        "--output", str(tmp_path / f"{kind}{index}"),
                        "--result", str(tmp_path / f"{kind}{index}.npz"),
                        env=tfjob_tf_config(chief_address, worker_addresses, kind, index))
                 for kind, index in tasks]
    finish_all(processes, timeout=240)
    results = [dict(np.load(tmp_path / f"{kind}{index}.npz")) for kind, index in tasks]
    single = train(tmp_path, "single", "--strategy", "default", "--global-batch", "6")

    assert [bool(result["chief"]) for result in results] == [True, False, False]
    assert {int(result["replicas"]) for result in results} == {3}
    assert {int(result["iterations"]) for result in results} == {int(single["iterations"])} == {8}
    for result in results[1:]:
        np.testing.assert_array_equal(result["weights"], results[0]["weights"])
    np.testing.assert_allclose(results[0]["weights"], single["weights"], atol=1e-5)
    assert sorted(p.name for p in (tmp_path / "chief0").iterdir()) == [
        "backup", "best.keras", "history.csv", "logs"]
    assert not (tmp_path / "worker0").exists()
    assert [p for p in (tmp_path / "worker1").rglob("*") if p.is_file()] == [stale]


@pytest.mark.parametrize("message, expected", [
    ("Collective ops is aborted by: Socket closed\nAdditional GRPC error information from "
     "remote target /job:worker/replica:0/task:1 while calling /tensorflow.WorkerService/"
     "RecvBuf:\n:UNKNOWN:Error received from peer\nThe error could be from a previous "
     "operation. Restart your program to reset.",
     "/job:worker/replica:0/task:1 is unreachable (Socket closed)"),
    ("Collective ops is aborted by: Error reported from /job:worker/task:1: The following "
     "tasks are unhealthy (stopped sending heartbeats):\n/job:worker/replica:0/task:1\nThe "
     "tasks have crashed.\nThe error could be from a previous operation.",
     "/job:worker/replica:0/task:1 stopped sending heartbeats"),
    ("Collective ops is aborted by: Deadline Exceeded\nRPC: /tensorflow.CoordinationService/"
     "Heartbeat\nThe error could be from a previous operation. Restart your program to reset.",
     "the chief (the coordination service's leader) stopped answering heartbeats "
     "(Deadline Exceeded)"),
], ids=["killed", "hung", "hung chief"])
def test_a_lost_worker_is_named_in_one_line(monkeypatch, message, expected):
    """What TensorFlow 2.21 reports when a worker is killed (2 s), hangs (12 s), or when the
    hung one is the chief (measured on this machine with SIGKILL and SIGSTOP)."""
    import tensorflow as tf

    from bert_keras.training import strategy

    monkeypatch.setattr(strategy, "_is_multi_worker", lambda _: True)
    error = tf.errors.UnavailableError(None, None, f"Graph execution error:\n\n{message}")
    assert str(strategy.worker_lost(None, error)) == f"worker lost: {expected}"
    for other in (tf.errors.InvalidArgumentError(None, None, "Incompatible shapes: [8] vs. [6]"),
                  tf.errors.UnavailableError(None, None, "Error executing an HTTP request: "
                                             "gs://bucket/train.tfrecord")):
        assert strategy.worker_lost(None, other) is None
