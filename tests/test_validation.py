"""One coercion layer (tensorbond._validate) and the call sites that use it:
every bad argument gets a clear error naming it, never a pybind11 signature
dump, a numpy internal error or a silently wrong answer."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import tensorbond as tb
from tensorbond import _validate as v


@pytest.fixture
def matrix():
    return np.random.default_rng(0).standard_normal((4, 3))


@pytest.fixture
def bell():
    return tb.Circuit(2).h(0).cx(0, 1)


@pytest.fixture
def measured():
    return tb.Circuit(2, num_clbits=2).h(0).measure(0, 0).measure(1, 1)


# ------------------------------------------------------------------ helpers
def test_as_count_accepts_numpy_integers():
    assert v.as_count(np.int64(5), "n") == 5
    assert type(v.as_count(np.uint8(5), "n")) is int


@pytest.mark.parametrize("bad", [True, 2.0, "3", None])
def test_as_count_refuses_non_integers(bad):
    with pytest.raises(TypeError, match=r"n must be an int, got "):
        v.as_count(bad, "n")


def test_as_count_range():
    with pytest.raises(ValueError, match=r"n must be at least 2, got 1"):
        v.as_count(1, "n", minimum=2)
    with pytest.raises(ValueError, match=r"n must be at most 3, got 4"):
        v.as_count(4, "n", maximum=3)


def test_as_optional_bond_clamps_huge_values():
    assert v.as_optional_bond(None, "max_bond") is None
    assert v.as_optional_bond(2**70, "max_bond") == 2**62
    assert v.as_optional_bond(np.int64(7), "max_bond") == 7
    with pytest.raises(ValueError, match=r"max_bond must be >= 1 or None, got 0"):
        v.as_optional_bond(0, "max_bond")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1e-3])
def test_as_tolerance_refuses(bad):
    with pytest.raises(ValueError, match=r"tol must be a finite number >= 0"):
        v.as_tolerance(bad, "tol")
    with pytest.raises(TypeError, match=r"tol must be a real number"):
        v.as_tolerance("1e-3", "tol")


def test_as_seed_accepts_numpy_integers():
    assert v.as_seed(7) == v.as_seed(np.int64(7))
    with pytest.raises(ValueError, match=r"seed must be non-negative, got -1"):
        v.as_seed(-1)


# ---------------------------------------------------------- huge max_bond
def test_svd_huge_max_bond(matrix):
    full = tb.svd(matrix)
    got = tb.svd(matrix, max_bond=2**70)
    np.testing.assert_allclose(got.s, full.s)
    assert got.discarded_weight == 0.0


def test_simulate_huge_max_bond(bell):
    psi = tb.simulate(bell, max_bond=2**63)
    assert psi.probability("11") == pytest.approx(0.5)


def test_numpy_int64_max_bond(bell, matrix):
    assert tb.Truncation(np.int64(3)).max_bond == 3
    assert tb.simulate(bell, max_bond=np.int64(2)).probability("00") == pytest.approx(0.5)
    assert tb.svd(matrix, max_bond=np.int64(2)).s.size == 2
    assert tb.MPS(2).apply_gate(np.eye(2), [np.int64(1)], max_bond=np.int64(1)).max_bond == 1


# ------------------------------------------------------------------- run
@pytest.mark.parametrize("shots", [2**63, 2**62, 10**12])
def test_run_too_many_shots(measured, shots):
    with pytest.raises(ValueError, match=rf"shots={shots} of a circuit .* GiB"):
        tb.run(measured, shots=shots, seed=1)


def test_run_negative_seed(measured):
    with pytest.raises(ValueError, match=r"seed must be non-negative, got -1"):
        tb.run(measured, shots=4, seed=-1)


def test_run_numpy_shots(measured):
    assert tb.run(measured, shots=np.int64(8), seed=1).shots == 8


def test_simulate_chunk_zero(bell):
    with pytest.raises(ValueError, match=r"chunk must be at least 1, got 0"):
        tb.simulate(bell, chunk=0, progress=lambda done, total: None)


# ---------------------------------------------------------------- circuit
@pytest.mark.parametrize("atol", [math.nan, -1.0, math.inf])
def test_unitary_bad_atol(atol):
    with pytest.raises(ValueError, match=r"atol must be a finite number >= 0"):
        tb.Circuit(1).unitary(np.ones((2, 2)), [0], atol=atol)


def test_unitary_string_matrix():
    with pytest.raises(TypeError, match=r"unitary matrix must be a numeric array, got str"):
        tb.Circuit(1).unitary("abcd", [0])


# ------------------------------------------------------------- zero norm
def test_zero_norm_probability_and_expectation():
    zero = tb.MPS.from_site_tensors([np.zeros((1, 2, 1))])
    with pytest.raises(ValueError, match=r"probability is undefined for a state of norm 0"):
        zero.probability("0")
    with pytest.raises(ValueError, match=r"expectation is undefined for a state of norm 0"):
        zero.expectation("Z0")


# ------------------------------------------------------------------ noise
def test_noise_unknown_gate():
    with pytest.raises(ValueError, match=r"unknown gate name\(s\) 'nosuchgate' in gates"):
        tb.NoiseModel().add(tb.depolarizing(0.1), gates=["h", "nosuchgate"])
    # known names in any case, and explicit unitaries, are fine
    tb.NoiseModel().add(tb.depolarizing(0.1), gates=["CX", "U", "unitary"])


# ------------------------------------------------------------- svd scale
@pytest.mark.parametrize("scale", [1e300, 1e150, 1e-150, 1e-300])
def test_svd_extreme_scales(matrix, scale):
    ref = np.linalg.svd(matrix, compute_uv=False)
    u, s, vh, dw = tb.svd(matrix * scale)
    np.testing.assert_allclose(s / scale, ref, rtol=1e-12)
    np.testing.assert_allclose((u * s) @ vh / scale, matrix, atol=1e-12)
    assert dw == 0.0


def test_svd_large_discarded_weight_is_finite(matrix):
    ref = np.linalg.svd(matrix, compute_uv=False)
    got = tb.svd(matrix * 1e150, max_bond=1)
    assert math.isfinite(got.discarded_weight)
    assert got.discarded_weight / 1e300 == pytest.approx(np.sum(ref[1:] ** 2), rel=1e-12)


def test_svd_unrepresentable_discarded_weight(matrix):
    # the dropped squares sum to about 1e600: no float64 holds that
    with pytest.raises(ValueError, match=r"svd: .* exceed the range of float64"):
        tb.svd(matrix * 1e300, max_bond=1)


@pytest.mark.parametrize("mode, cutoff", [("abs", 0.5), ("sum2", 0.2)])
def test_svd_absolute_cutoffs_scale_with_the_matrix(matrix, mode, cutoff):
    kept = tb.svd(matrix, cutoff=cutoff, cutoff_mode=mode).s.size
    scale = 2.0**400
    c = cutoff * (scale if mode == "abs" else scale**2)
    assert tb.svd(matrix * scale, cutoff=c, cutoff_mode=mode).s.size == kept


def test_svd_float32_large_entries(matrix):
    x = (matrix * 1e19).astype(np.float32)
    s = tb.svd(x).s
    assert s.dtype == np.float32
    np.testing.assert_allclose(s / 1e19, np.linalg.svd(matrix, compute_uv=False), rtol=1e-5)


# --------------------------------------------------------------- MPS.load
def _rewrite(path, tmp_path, **changes):
    with np.load(path) as z:
        arrays = dict(z)
    meta = json.loads(str(arrays["__meta__"]))
    for key, value in changes.items():
        if value is KeyError:
            meta.pop(key)
        else:
            meta[key] = value
    arrays["__meta__"] = np.array(json.dumps(meta))
    out = tmp_path / "changed.npz"
    np.savez(out, **arrays)
    return out


@pytest.fixture
def saved(tmp_path):
    psi = tb.MPS.from_bitstring("01")
    psi.clbit_map = {0: 1}
    return psi.save(tmp_path / "s.npz")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"fidelity_estimate": 2.0}, r"fidelity_estimate must lie in \[0, 1\], got 2.0"),
        ({"fidelity_estimate": math.nan}, r"fidelity_estimate must be a finite number"),
        ({"fidelity_estimate": -0.5}, r"fidelity_estimate must be a finite number >= 0"),
        ({"clbit_map": {"0": 5}}, r"clbit_map\[0\] = 5 names a qubit outside"),
        ({"clbit_map": [1]}, r"clbit_map must be an object, got list"),
        ({"num_qubits": KeyError}, r"metadata lacks num_qubits"),
        ({"layout": "ab"}, r"layout must be a list, got str"),
        ({"num_qubits": 5}, r"layout must be a permutation"),
        ({"num_qubits": 2.0}, r"num_qubits must be an int, got float"),
        ({"dtype": "float16"}, r"dtype must be 'complex64' or 'complex128'"),
        ({"num_truncations": "3"}, r"num_truncations must be an int, got str"),
    ],
)
def test_load_refuses_bad_metadata(saved, tmp_path, changes, message):
    path = _rewrite(saved, tmp_path, **changes)
    with pytest.raises(ValueError, match=rf"changed.npz is not a tensorbond MPS file: {message}"):
        tb.MPS.load(path)


def test_load_round_trip_still_works(saved):
    back = tb.MPS.load(saved)
    assert back.clbit_map == {0: 1}
    assert back.probability("01") == pytest.approx(1.0)


def test_load_missing_site(saved, tmp_path):
    with np.load(saved) as z:
        arrays = dict(z)
    del arrays["site1"]
    np.savez(tmp_path / "m.npz", **arrays)
    msg = r"m.npz is not a tensorbond MPS file: 2 qubits but no site1"
    with pytest.raises(ValueError, match=msg):
        tb.MPS.load(tmp_path / "m.npz")


@pytest.mark.parametrize("content", [b"", b"garbage" * 10, "truncated"])
def test_load_unreadable_files(saved, tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(saved.read_bytes()[:200] if content == "truncated" else content)
    with pytest.raises(ValueError, match=r"bad.npz is not a tensorbond MPS file: cannot read"):
        tb.MPS.load(path)


def test_load_a_single_array(tmp_path):
    path = tmp_path / "one.npz"
    np.save(path.with_suffix(".npy"), np.ones(3))
    path.write_bytes(path.with_suffix(".npy").read_bytes())
    msg = r"one.npz is not a tensorbond MPS file: it holds a single array"
    with pytest.raises(ValueError, match=msg):
        tb.MPS.load(path)


def test_load_meta_not_json(saved, tmp_path):
    with np.load(saved) as z:
        arrays = dict(z)
    arrays["__meta__"] = np.array("{not json")
    np.savez(tmp_path / "j.npz", **arrays)
    msg = r"j.npz is not a tensorbond MPS file: __meta__ is not valid JSON"
    with pytest.raises(ValueError, match=msg):
        tb.MPS.load(tmp_path / "j.npz")
