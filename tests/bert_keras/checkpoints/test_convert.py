"""`bert-keras convert` writes whole `.keras` files, or says in one line why it cannot."""

import os

from bert_keras.cli import main


def test_convert_writes_whole_files_or_a_one_line_error(tmp_path, capsys):
    """An output that cannot be written: one line naming the file, no traceback, nothing
    left behind; a good output appears whole under its name."""
    from bert_keras import BertConfig
    from bert_keras.models import bert_encoder

    source = tmp_path / "encoder.keras"
    bert_encoder(BertConfig.preset("tiny", vocab_size=99)).save(source)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main(["convert", "--input", str(source), "--output",
                 str(blocker / "out.keras")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"cannot write {blocker / 'out.keras'}" in error
    out = tmp_path / "out"
    assert main(["convert", "--input", str(source), "--output", str(out / "e.keras")]) == 0
    assert os.listdir(out) == ["e.keras"]
