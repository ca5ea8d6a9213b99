"""Every command turns a file-system error into one line naming the file (no traceback)."""

import pytest

from bert_keras.cli import main

from task_samples import DATA, FILES, TASKS, VOCAB

TEXT = str(DATA / "pretrain" / "sample_text.txt")


@pytest.mark.parametrize("command, argv", [
    ("vocab", ["vocab", "build", "--input", TEXT, "--vocab-size", "200", "--output",
               "{blocked}/vocab.txt"]),
    ("create-pretraining-data", ["create-pretraining-data", "--input", TEXT, "--vocab", VOCAB,
                                 "--output", "{blocked}/shards"]),
    ("finetune", ["finetune", "--task", "sst2", "--init", "tiny", "--vocab", VOCAB,
                  "--train-file", str(TASKS / FILES["sst2"][0]),
                  "--dev-file", str(TASKS / FILES["sst2"][1]), "--output-dir", "{blocked}/run"]),
    ("pretrain", ["pretrain", "--text", TEXT, "--init", "tiny", "--vocab", VOCAB,
                  "--num-train-steps", "1", "--output-dir", "{blocked}/run"]),
])
def test_an_output_that_cannot_be_created_is_one_line(tmp_path, capsys, command, argv):
    blocked = tmp_path / "a_file"  # a file where a folder is needed
    blocked.write_text("not a folder")
    assert main([arg.format(blocked=blocked) for arg in argv]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith(f"bert-keras {command}: {blocked}") and last.endswith(
        ": Not a directory"), err
