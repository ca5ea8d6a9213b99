"""`bert-keras create-pretraining-data` through `bert_keras.cli.main`."""

import os
import shutil

from bert_keras.cli import main
from bert_keras.training.pretraining.records import parse_records, read_metadata

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data")
SAMPLE = os.path.join(DATA, "pretrain", "sample_text.txt")
VOCAB = os.path.join(DATA, "text", "bert_uncased_vocab.txt")


def test_creates_shards_metadata_and_prints_a_summary(tmp_path, capsys):
    # Two copies of the sample found through a glob.
    for name in ("a.txt", "b.txt"):
        shutil.copy(SAMPLE, tmp_path / name)
    output = str(tmp_path / "out")
    code = main(["create-pretraining-data", "--input", str(tmp_path / "*.txt"),
                 "--output-dir", output, "--vocab", VOCAB, "--seq-length", "64",
                 "--max-predictions", "10", "--dupe-factor", "2", "--seed", "3",
                 "--whole-word-mask", "--instances-per-shard", "20", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    metadata = read_metadata(output)
    assert metadata["input_files"] == [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    assert (metadata["max_seq_length"], metadata["max_predictions_per_seq"], metadata["seed"],
            metadata["dupe_factor"], metadata["do_whole_word_mask"], metadata["lowercase"]) == (
        64, 10, 3, 2, True, True)
    assert metadata["statistics"]["documents"] == 6
    assert sorted(os.listdir(output)) == sorted(metadata["shards"] + ["metadata.json",
                                                                      "vocab.txt"])
    assert len(metadata["shards"]) == -(-metadata["num_instances"] // 20) > 1
    files = [os.path.join(output, name) for name in metadata["shards"]]
    assert sum(1 for _ in parse_records(files, 64, 10)) == metadata["num_instances"]
    assert f"wrote {metadata['num_instances']} instances in {len(files)} shard(s)" in out
    assert "input: 6 documents" in out and "random next sentence" in out


def test_expected_errors_print_the_message_and_exit_2(tmp_path, capsys):
    output = str(tmp_path / "out")
    base = ["create-pretraining-data", "--output-dir", output, "--vocab", VOCAB, "--no-progress"]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\n\xff\xfe\n")
    (tmp_path / "out_full").mkdir()
    (tmp_path / "out_full" / "x").write_text("x")
    cases = [
        (["--input", str(tmp_path / "missing.txt")], "Input file not found: "),
        (["--input", str(tmp_path / "*.none")], "No input file matches "),
        (["--input", str(bad)], f"{bad}:2: not UTF-8: invalid start byte"),
        (["--input", SAMPLE, "--output-dir", str(tmp_path / "out_full")],
         "is not empty; use --overwrite"),
    ]
    for arguments, message in cases:
        assert main(base + arguments) == 2, arguments
        err = capsys.readouterr().err
        assert err.startswith("bert-keras create-pretraining-data: error: ") and message in err, err
        assert "Traceback" not in err
