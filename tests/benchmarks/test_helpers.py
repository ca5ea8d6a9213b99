"""The benchmark scripts' own arithmetic and plumbing (the peers need the bench extra, so the
scripts themselves run by hand; see README "Benchmarks")."""

import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))

import common  # noqa: E402
import efficiency  # noqa: E402

from bert_keras import BertConfig  # noqa: E402


def test_bert_base_forward_is_the_usual_22_gflops_per_128_token_sequence():
    config = BertConfig.preset("base", vocab_size=30522)
    flops = efficiency.forward_flops(config, batch=1, seq=128, num_classes=2)
    projections = 12 * 2 * 128 * (4 * 768 * 768 + 2 * 768 * 3072)
    attention = 12 * 4 * 128 * 128 * 768
    assert flops == projections + attention + 2 * (768 * 768 + 768 * 2)
    assert 22.2e9 < flops < 22.4e9
    assert efficiency.forward_flops(config, batch=4, seq=128) == pytest.approx(4 * flops)


def test_children_are_not_started_from_a_process_holding_tensorflow():
    assert "tensorflow" in sys.modules  # this test process imported it through bert_keras
    with pytest.raises(RuntimeError, match="this process has loaded tensorflow"):
        common.run_child([sys.executable, "-c", "print(1)"])


def test_read_sst2_reads_the_shipped_dev_file():
    texts, labels = common.read_sst2(os.path.join(common.SAMPLES, "sst2_dev.tsv"))
    assert len(texts) == len(labels) == 872 and set(labels) == {0, 1}
    assert texts[0] == "it 's a charming and often affecting journey . "


def test_results_table_and_json_carry_the_machine(tmp_path, capsys):
    common.print_table(("system", "speed"), [("ours", 2.5), ("peer", 1.0)])
    assert capsys.readouterr().out.splitlines() == [
        "| system | speed |", "|---|---|", "| ours | 2.5 |", "| peer | 1.0 |"]
    path = tmp_path / "results" / "run.json"
    common.write_results(str(path), {"batch_size": 32}, [{"system": "ours"}])
    written = json.loads(path.read_text())
    assert written["batch_size"] == 32 and written["rows"] == [{"system": "ours"}]
    assert written["cpus"] == os.cpu_count() and written["machine"]


def test_scaling_counts_the_traced_train_step_like_the_analytic_formula():
    """benchmarks/scaling.py: the matrix products counted in a traced Keras train step (forward,
    backward, optimizer) equal its analytic formula, for pretraining and span labeling."""
    import scaling

    config = BertConfig.preset("tiny", vocab_size=1000)
    for kind, seq, predictions, head in (("pretrain", 32, 5, "nsp"), ("squad", 16, 0, "span")):
        graph = scaling.traced_step(kind, config, batch=2, seq=seq, predictions=predictions)
        assert scaling.graph_matmul_flops(graph) == 2 * scaling.train_flops(
            config, seq, predictions, head), kind


def test_scaling_arithmetic():
    import scaling

    base = BertConfig.preset("base", vocab_size=30522)
    assert scaling.encoder_params(base) == 12 * (4 * 768 * 768 + 2 * 768 * 3072)
    # Without heads and attention, a train step is 6 x weights x tokens.
    no_attention = scaling.train_flops(base, 1) - 3 * (2 * 768 * 768 + 2 * 768 * 2
                                                        + 12 * 4 * 768)
    assert no_attention == 6 * scaling.encoder_params(base)
    assert scaling.einsum_flops("bnqk,bnkd->bnqd", [[1, 2, 3, 4], [1, 2, 4, 5]]) == 2 * 120
    assert scaling.hours(7200 * 4e12, chips=2, peak=4e12, mfu=0.5) == 2.0  # 7200 s
    with pytest.raises(ValueError, match="unknown head"):
        scaling.train_flops(base, 8, head="mlm")


@pytest.mark.parametrize("task", ["sst2", "mrpc"])
def test_the_seed_study_reads_the_rows_and_scores_as_the_recipe(task):
    """The HF side of `seed_study.py` reads GLUE files and scores in plain Python: the same
    rows as `read_glue` and the same accuracy / F1 as the recipe's metrics."""
    import numpy as np

    import seed_study
    from bert_keras.data import read_glue
    from bert_keras.training.metrics import accuracy, binary_f1

    path = os.path.join(common.ROOT, "tests", "data", "tasks", f"{task}_dev.tsv")
    texts, labels = seed_study.read_task(task, path)
    examples = read_glue(task, path).examples
    assert [(e.text,) if e.text_pair is None else (e.text, e.text_pair) for e in examples] == texts
    assert [int(e.label) for e in examples] == labels
    predicted = list(np.random.default_rng(0).integers(0, 2, len(labels)))
    expected = accuracy(labels, predicted) if task == "sst2" else binary_f1(labels, predicted)
    assert seed_study.score(task, labels, predicted) == pytest.approx(expected)


def test_the_seed_study_interval_is_students():
    import seed_study

    result = seed_study.summary([0.1, 0.3, 0.2, 0.4, 0.0])
    assert result["mean"] == pytest.approx(0.2) and result["std"] == pytest.approx(0.158114, 1e-5)
    assert result["ci95"] == pytest.approx(2.776 * 0.158114 / 5 ** 0.5, 1e-4)  # t(4) = 2.776


def test_the_seed_study_schedules_are_the_same_step_by_step():
    """The two systems' learning rates agree at every step (so the schedule is not one of
    the recipe differences the ablations need to look at)."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    from bert_keras.optimizers import WarmupDecay

    total, warmup = 125, 12
    ours = WarmupDecay(5e-5, num_train_steps=total, warmup_steps=warmup)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=5e-5)
    schedule = get_linear_schedule_with_warmup(optimizer, warmup, total)
    theirs = []
    for _ in range(total):
        theirs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert [float(ours(step)) for step in range(total)] == pytest.approx(theirs, rel=1e-6)


def test_the_ablations_put_back_the_old_details(monkeypatch):
    import keras

    import ablations
    from bert_keras import optimizers
    from bert_keras.layers import heads

    monkeypatch.setattr(optimizers.AdamW, "update_step", optimizers.AdamW.update_step)
    monkeypatch.setattr(heads, "_kernel_initializer", heads._kernel_initializer)
    assert optimizers.AdamW.update_step is not keras.optimizers.AdamW.update_step
    ablations.keras_adam_epsilon()
    assert optimizers.AdamW.update_step is keras.optimizers.AdamW.update_step
    assert isinstance(heads._kernel_initializer(0.02), keras.initializers.RandomNormal)
    ablations.head_init_truncated()
    assert isinstance(heads._kernel_initializer(0.02), keras.initializers.TruncatedNormal)


def test_the_seed_study_extends_only_a_study_of_the_same_settings(tmp_path):
    import argparse

    import seed_study

    args = argparse.Namespace(task="sst2", train_rows=4000, epochs=1, batch_size=32,
                              seq_length=128, learning_rate=5e-5, ours_flag=[],
                              ours_ablation=[], systems=["ours", "hf"], seeds=[5, 6])
    runs = {"ours": [{"seed": 0, "score": 0.8}], "hf": [{"seed": 0, "score": 0.81}]}
    earlier = {**{k: v for k, v in vars(args).items() if k not in ("ours_flag", "seeds")},
               "ours_flags": [], "ours_ablation": None, "seeds": [0], "runs": runs}
    path = tmp_path / "study.json"
    path.write_text(json.dumps(earlier))
    args.extend = str(path)
    assert seed_study.earlier_runs(args) == runs
    for change, message in [({"epochs": 3}, "made with epochs 1, this run has 3"),
                            ({"seeds": [0, 7]}, "already has seeds [0]"),
                            ({"systems": ["ours"]}, "has systems ['hf', 'ours']")]:
        with pytest.raises(SystemExit, match=re.escape(message)):
            seed_study.earlier_runs(argparse.Namespace(**{**vars(args), **change}))


def test_the_seed_study_writes_an_extended_study_back_to_its_file():
    """`--extend F` without `--output` wrote to seed_study_<task>.json, overwriting that
    study with F's runs and the new seeds, and left F without them."""
    import argparse

    import seed_study

    args = argparse.Namespace(task="mrpc", output=None, extend="runs/pool.json")
    assert seed_study.output_path(args) == "runs/pool.json"
    assert seed_study.output_path(argparse.Namespace(**{**vars(args), "output": "o.json"})
                                  ) == "o.json"
    assert seed_study.output_path(argparse.Namespace(**{**vars(args), "extend": None})
                                  ).endswith(os.path.join("results", "seed_study_mrpc.json"))
