"""MultiWorkerMirroredStrategy for real: two worker processes on 127.0.0.1 train the tiny
classifier together and end with identical weights, equal to a one-device run."""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).with_name("workers")))
from launch import Worker, free_ports, train  # noqa: E402


def test_two_workers_train_like_one_device(tmp_path):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = [
        Worker("--strategy", "multi_worker", "--output", str(tmp_path / "run"), "--dev-metrics",
               "--result", str(tmp_path / f"worker{index}.npz"),
               env={"TF_CONFIG": json.dumps({"cluster": cluster,
                                             "task": {"type": "worker", "index": index}})})
        for index in range(2)]
    try:
        for worker in workers:
            worker.finish(timeout=180)
    finally:
        for worker in workers:
            worker.kill()
    first, second = (np.load(tmp_path / f"worker{index}.npz") for index in range(2))
    single = train(tmp_path, "single", "--strategy", "default", "--dev-metrics")

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
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["backup", "best.keras",
                                                                    "history.csv", "logs"]
