"""A training process killed mid-epoch resumes at its last backup step, on the batches that
follow, and ends exactly where an uninterrupted run ends (same steps, same weights)."""

import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).with_name("workers")))
from launch import Worker, train  # noqa: E402

# 3 epochs of 5 steps; backups every 2 steps and at each epoch end.
# A new order every epoch, as the recipes' training data has.
SCHEDULE = ("--epochs", "3", "--steps-per-epoch", "5", "--save-freq", "2", "--reshuffle")


def test_killed_run_resumes_mid_epoch_and_ends_like_an_uninterrupted_one(tmp_path):
    uninterrupted = train(tmp_path, "uninterrupted", *SCHEDULE)
    run = ("--output", str(tmp_path / "run"), "--result", str(tmp_path / "run.npz"), *SCHEDULE)

    crashed = Worker(*run, "--pause-at-step", "7")  # epoch 2 of 3, its second batch
    try:
        crashed.wait_for("PAUSED", timeout=120)
    finally:
        crashed.kill()  # SIGKILL: no callback gets to clean up
    assert sorted(p.name for p in (tmp_path / "run" / "backup").iterdir()) == [
        "step-6.seeds.npz", "step-6.weights.h5"]

    resumed = Worker(*run)
    try:
        resumed.finish(timeout=120)
    finally:
        resumed.kill()
    assert "resumed from step 6" in resumed.lines
    steps = [int(line.split()[1]) for line in resumed.lines if line.startswith("step ")]
    assert steps == list(range(7, 16))

    result = np.load(tmp_path / "run.npz")
    assert int(result["iterations"]) == int(uninterrupted["iterations"]) == 15
    np.testing.assert_allclose(result["weights"], uninterrupted["weights"], atol=1e-6)
    np.testing.assert_allclose(result["final_loss"], uninterrupted["final_loss"], rtol=1e-6)
    with open(tmp_path / "run" / "history.csv", newline="") as file:
        assert [row["epoch"] for row in csv.DictReader(file)] == ["0", "1", "2"]
