import collections
import io
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


class _Storage:
    """Stands for a storage in a crafted pickle (written as a persistent id)."""


class _View:
    """A tensor view that pickles like torch's own (`_rebuild_tensor_v2`), with any numbers."""

    def __init__(self, offset, size, stride):
        self.args = (_Storage(), offset, tuple(size), tuple(stride), False,
                     collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


def crafted(path, view, storage_bytes=b"\0\0\0\0", numel=1, compress=zipfile.ZIP_STORED):
    """A pytorch_model.bin whose one tensor is `view` of a float32 storage of `storage_bytes`,
    whose pickle declares `numel` elements."""
    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _Storage):
                return ("storage", torch.FloatStorage, "0", "cpu", numel)
            return None

    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump({"weight": view})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/data/0", storage_bytes, compress_type=compress)
    return path


@pytest.mark.parametrize("view, message", [
    (_View(0, [4096], [1]), r"tensor view reaches element 4095 of a storage of 1 elements"),
    (_View(0, [2, 2], [2**28, 1]), r"tensor view reaches element 268435457 of a storage of 1"),
    (_View(0, [2], [-1]), r"malformed tensor view: offset 0, size \(2,\), stride \(-1,\)"),
    (_View(5, [1], [1]), r"tensor view reaches element 5 of a storage of 1 elements"),
    (_View(0, [1, 1], [1]), r"malformed tensor view: offset 0, size \(1, 1\), stride \(1,\)"),
    (_View("0", [1], [1]), r"malformed tensor view: offset '0'"),
], ids=["over-long", "huge stride", "negative stride", "offset past the end", "rank mismatch",
        "not an int"])
def test_views_outside_their_storage_are_refused(tmp_path, view, message):
    """Each of these read process memory or crashed (`as_strided` unchecked) before."""
    path = crafted(tmp_path / "pytorch_model.bin", view)
    with pytest.raises(ValueError, match="pytorch_model.bin: " + message):
        read_torch_state_dict(path)


def test_storages_are_checked_against_their_declared_size_and_inflation(tmp_path):
    view = _View(0, [1], [1])
    with pytest.raises(ValueError, match=r"storage archive/data/0 holds 8 bytes, the pickle "
                                         r"declares 1 elements of 4 bytes"):
        read_torch_state_dict(crafted(tmp_path / "a.bin", view, b"\0" * 8, numel=1))
    bomb = crafted(tmp_path / "bomb.bin", view, b"\0" * (64 << 20), numel=16 << 20,
                   compress=zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match=r"storage archive/data/0 inflates from \d+ to "
                                         r"67108864 bytes \(over 100x"):
        read_torch_state_dict(bomb)


@pytest.mark.parametrize("payload", [b"\x80\x02}q\x00(X\x01", pickle.dumps([1, 2]),
                                     pickle.dumps(collections.OrderedDict(a=object))])
def test_broken_or_foreign_pickles_get_one_line_errors(tmp_path, payload):
    path = tmp_path / "broken.bin"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
    with pytest.raises(ValueError, match=r"^\S*broken.bin: "):
        read_torch_state_dict(path)
