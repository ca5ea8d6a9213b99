import pickle
import zipfile

import numpy as np
import pytest

from bert_keras.checkpoints.torch_pickle import read_torch_state_dict

torch = pytest.importorskip("torch")


def test_reads_every_dtype_and_strided_views(tmp_path):
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    state = {
        "float32": base,
        "transposed_view": base.t(),  # shares storage, non-contiguous strides
        "offset_view": base[1],  # storage offset
        "float16": base.half(),
        "bfloat16": base.bfloat16(),
        "int64": torch.arange(5),
        "bool": torch.tensor([True, False]),
        "parameter": torch.nn.Parameter(torch.ones(2, 2)),
    }
    torch.save(state, tmp_path / "state.bin")
    loaded = read_torch_state_dict(tmp_path / "state.bin")
    assert set(loaded) == set(state)
    for name, tensor in state.items():
        expected = tensor.detach().float().numpy() if name == "bfloat16" else tensor.detach().numpy()
        np.testing.assert_array_equal(np.asarray(loaded[name], expected.dtype), expected)
    assert str(loaded["bfloat16"].dtype) == "bfloat16"


def test_refuses_code_in_the_pickle(tmp_path):
    path = tmp_path / "evil.bin"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(print))
    with pytest.raises(pickle.UnpicklingError, match=r"evil.bin: refusing to unpickle "
                                                     r"builtins.print"):
        read_torch_state_dict(path)


def test_legacy_format_gets_a_clear_error(tmp_path):
    path = tmp_path / "old.bin"
    path.write_bytes(b"\x80\x02not a zip")
    with pytest.raises(ValueError, match="old.bin: not a zip-format PyTorch file"):
        read_torch_state_dict(path)
