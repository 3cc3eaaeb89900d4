"""The variational-circuit part of the benchmark suite (issue 15): gradients of
``<H>`` and parameter sweeps, tensorbond against PennyLane, quimb + torch and
qiskit-aer, single-threaded, every figure from one run.

Sections (sizes of the full run; ``quick`` shrinks them):

- **gradient_mps**: ``H = sum_i Z_i Z_{i+1} + 0.5 sum_i X_i`` on the
  hardware-efficient ansatz (:func:`hea`), 50 qubits, 8 layers (400
  parameters), max_bond 64, random angles (seed 0). tensorbond's adjoint and
  parameter-shift gradients and one forward evaluation; PennyLane's
  ``default.tensor`` (MPS, ``max_bond_dim=64``) timed on one forward evaluation
  and its parameter-shift gradient extrapolated (``2 P`` evaluations); quimb's
  ``CircuitMPS`` on torch tensors with autodiff, as far as it runs.
- **gradient_mps_small**: the same at 12 qubits, 2 layers (24 parameters),
  where PennyLane's parameter-shift gradient and quimb's backward pass are
  measured, not extrapolated.
- **gradient_exact**: 16 qubits, 8 layers (128 parameters), no truncation:
  tensorbond's adjoint against a parameter-shift over qiskit-aer's
  ``EstimatorV2`` (statevector, exact: one PUB of the ``2 P + 1`` shifted
  points), PennyLane ``lightning.qubit`` and ``default.qubit`` adjoint.
- **sweep**: 1,000 points of a 12-qubit ring QAOA at p=3 (6 parameters):
  ``tb.expectation`` on all of them, tensorbond's qiskit ``EstimatorV2`` (when
  it exists), qiskit-aer's ``EstimatorV2`` in exact mode with one PUB.

Correctness: every contestant's value (and gradient) is compared with
tensorbond's at full bond (no ``max_bond``, ``cutoff=1e-14``); the maximum absolute
differences are in the table and a contestant outside the tolerance is
flagged. Run as ``tensorbond bench --suite variational``; writes
``variational.md`` and ``variational.json`` to the results folder.
"""

from __future__ import annotations

import inspect
import math
import os
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import tensorbond as tb

from . import environment
from .report import write_part

__all__ = [
    "SIZES",
    "hamiltonian_terms",
    "hea",
    "qaoa",
    "render_markdown",
    "run",
    "write",
]

#: The sizes of the full run and of ``quick``.
SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "mps": (50, 8, 64),
        "mps_small": (12, 2, 64),
        "exact": (16, 8),
        "sweep": (12, 3, 1000),
    },
    "quick": {
        "mps": (12, 4, 64),
        "mps_small": (6, 2, 64),
        "exact": (8, 4),
        "sweep": (8, 2, 50),
    },
}

#: The reference's cutoff (no max_bond): drops only numerically zero singular
#: values. (``cutoff=0`` would keep them, and the bond would grow to 2^(n/2).)
REF_CUTOFF = 1e-14

#: ``|difference| <= ATOL * max(1, max |reference|)`` counts as agreement.
ATOL = 1e-5

Terms = list[tuple[float, dict[int, str]]]


# ----------------------------------------------------------------- workloads
def hamiltonian_terms(n: int) -> Terms:
    """``sum_i Z_i Z_{i+1} + 0.5 sum_i X_i`` (open chain) as ``(coeff, {qubit: P})``."""
    terms: Terms = [(1.0, {i: "Z", i + 1: "Z"}) for i in range(n - 1)]
    terms += [(0.5, {i: "X"}) for i in range(n)]
    return terms


def ring_terms(n: int) -> Terms:
    """``sum Z_i Z_j`` over the edges of the ring on ``n`` qubits."""
    return [(1.0, {i: "Z", (i + 1) % n: "Z"}) for i in range(n)]


def hea_layout(n: int, layers: int) -> list[tuple[str, tuple[int, ...], int | None]]:
    """The hardware-efficient ansatz as ``(gate, qubits, parameter index)``:
    each layer ``l`` is ``ry`` on every qubit (parameter ``l n + q``), then ``cz``
    on the pairs ``(q, q+1)`` with ``q`` even on even layers, odd on odd ones."""
    out: list[tuple[str, tuple[int, ...], int | None]] = []
    for layer in range(layers):
        out += [("ry", (q,), layer * n + q) for q in range(n)]
        out += [("cz", (q, q + 1), None) for q in range(layer % 2, n - 1, 2)]
    return out


def hea(n: int, layers: int) -> tb.Circuit:
    """:func:`hea_layout` as a tensorbond circuit with parameters ``t[0..]``."""
    th = tb.ParameterVector("t", n * layers)
    c = tb.Circuit(n)
    for gate, qs, k in hea_layout(n, layers):
        if gate == "ry":
            assert k is not None
            c.ry(th[k], qs[0])
        else:
            c.cz(*qs)
    return c


def qaoa_layout(n: int, p: int) -> list[tuple[str, tuple[int, ...], str | None]]:
    """Ring QAOA: ``h`` everywhere, then per round ``rzz(g[k])`` on every ring
    edge and ``rx(b[k])`` on every qubit."""
    out: list[tuple[str, tuple[int, ...], str | None]] = [("h", (q,), None) for q in range(n)]
    for k in range(p):
        out += [("rzz", (i, (i + 1) % n), f"g[{k}]") for i in range(n)]
        out += [("rx", (q,), f"b[{k}]") for q in range(n)]
    return out


def qaoa(n: int, p: int) -> tb.Circuit:
    """:func:`qaoa_layout` as a tensorbond circuit (parameters ``g[k]``, ``b[k]``)."""
    g, b = tb.ParameterVector("g", p), tb.ParameterVector("b", p)
    c = tb.Circuit(n)
    for gate, qs, name in qaoa_layout(n, p):
        if gate == "h":
            c.h(qs[0])
        else:
            assert name is not None
            vec = g if name[0] == "g" else b
            getattr(c, gate)(vec[int(name[2:-1])], *qs)
    return c


def _tb_observable(terms: Terms) -> dict[str, float]:
    return {" ".join(f"{p}{q}" for q, p in sorted(t.items())): c for c, t in terms}


def _order(names: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Indices into ``wanted`` for each of ``names``: reorders our vectors to a tool's."""
    where = {w: i for i, w in enumerate(wanted)}
    return [where[n] for n in names]


# ------------------------------------------------------------------- timing
def _timed(fn: Callable[[], Any], repeats: int, *, warm: bool = True) -> tuple[Any, list[float]]:
    """``fn``'s result and the wall times of ``repeats`` calls (after one untimed
    warm-up call unless ``warm`` is false)."""
    out = fn() if warm else None
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    _progress(f"  {getattr(fn, '__name__', 'call')}: {times}")
    return out, times


def _progress(msg: str) -> None:
    if os.environ.get("TENSORBOND_BENCH_QUIET") != "1":
        print(f"[variational] {msg}", file=sys.stderr, flush=True)


def _row(contestant: str, timed: str, how: str) -> dict[str, Any]:
    return {
        "contestant": contestant,
        "timed": timed,
        "how": how,
        "status": "ok",
        "times_s": [],
        "median_s": None,
        "min_s": None,
        "extrapolated": False,
        "ratio": None,
        "max_abs_diff_value": None,
        "max_abs_diff_grad": None,
        "agrees": None,
        "notes": [],
    }


def _fill_times(row: dict[str, Any], times: list[float]) -> None:
    _progress(f"{row['contestant']}: median {statistics.median(times):.4g} s")
    row["times_s"] = times
    row["median_s"] = statistics.median(times)
    row["min_s"] = min(times)


def _error(row: dict[str, Any], exc: BaseException) -> None:
    msg = f"{type(exc).__name__}: {exc}".strip()
    row["status"] = "error: " + msg.splitlines()[0][:300]
    row["traceback"] = traceback.format_exc(limit=4)[-2000:]


def _compare(
    row: dict[str, Any],
    value: Any,
    grad: Any,
    ref_value: Any,
    ref_grad: Any,
) -> None:
    """Fill the differences to the reference and the ``agrees`` flag."""
    ok = True
    if value is not None:
        v, r = np.asarray(value, dtype=float), np.asarray(ref_value, dtype=float)
        d = float(np.max(np.abs(v - r))) if np.all(np.isfinite(v)) else math.nan
        row["max_abs_diff_value"] = d
        ok &= d <= ATOL * max(1.0, float(np.max(np.abs(r))))
    if grad is not None:
        g, r = np.asarray(grad, dtype=float), np.asarray(ref_grad, dtype=float)
        nans = int(np.sum(~np.isfinite(g)))
        if nans:
            row["notes"].append(f"{nans} of {g.size} gradient entries are NaN/inf")
        d = float(np.max(np.abs(g - r))) if not nans else math.nan
        row["max_abs_diff_grad"] = d
        ok &= d <= ATOL * max(1.0, float(np.max(np.abs(r))))
    row["agrees"] = bool(ok)
    if not ok:
        row["notes"].append("DISAGREES with tensorbond at full bond")


def _ratios(rows: list[dict[str, Any]], base: dict[str, Any]) -> None:
    """Each timed row's median over tensorbond's for the same quantity (>1:
    slower than tensorbond): one ``<H>`` over tensorbond's forward row, the rest
    over ``base`` (tensorbond's adjoint gradient, or its sweep)."""
    fwd = next((r for r in rows if r["contestant"] == "tensorbond forward"), None)
    for r in rows:
        b = fwd if (r["timed"] == "one <H>" and fwd is not None) else base
        if r["median_s"] is not None and b.get("median_s"):
            r["ratio"] = r["median_s"] / b["median_s"]
            r["ratio_to"] = b["contestant"]


def _quiet() -> Any:
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


# --------------------------------------------------------------- tensorbond
def _expectation(prog: Any, obs: Any, x: Any, **kw: Any) -> Any:
    """``tb.expectation`` on the MPS engine where the library has engines."""
    if "engine" in inspect.signature(tb.expectation).parameters and "engine" not in kw:
        kw["engine"] = "mps"
    if kw.get("engine") == "auto":
        kw.pop("engine")
    return tb.expectation(prog, obs, x, **kw)


def _tb_gradient_rows(
    prog: Any, obs: Any, x: np.ndarray, max_bond: int | None, repeats: int, shift: bool
) -> list[dict[str, Any]]:
    rows = []
    bond = f"max_bond={max_bond}"
    adj = _row(
        "tensorbond adjoint",
        "gradient",
        f'tb.gradient(compiled, H, x, method="adjoint", {bond})',
    )
    res, times = _timed(
        lambda: tb.gradient(prog, obs, x, method="adjoint", max_bond=max_bond), repeats
    )
    _fill_times(adj, times)
    adj["result"] = res
    adj["notes"].append(f"error_estimate {float(res.error_estimate):.2e}")
    rows.append(adj)
    fwd = _row("tensorbond forward", "one <H>", f"tb.expectation(compiled, H, x, {bond})")
    res_f, times = _timed(lambda: _expectation(prog, obs, x, max_bond=max_bond), repeats)
    _fill_times(fwd, times)
    fwd["result"] = res_f
    fwd["notes"].append(
        f"engine {getattr(res_f, 'engine', 'mps')}, bond reached {int(np.max(res_f.max_bond))}"
    )
    rows.append(fwd)
    if shift:
        ps = _row(
            "tensorbond parameter-shift",
            "gradient",
            f'tb.gradient(compiled, H, x, method="parameter-shift", {bond})',
        )
        res_p, times = _timed(
            lambda: tb.gradient(prog, obs, x, method="parameter-shift", max_bond=max_bond),
            max(1, min(repeats, 2)),
            warm=False,
        )
        _fill_times(ps, times)
        ps["result"] = res_p
        rows.append(ps)
    return rows


# ---------------------------------------------------------------- PennyLane
def _pl_hamiltonian(terms: Terms) -> Any:
    import pennylane as qml

    ops: list[Any] = []
    for _, t in terms:
        factors = [getattr(qml, p)(q) for q, p in sorted(t.items())]
        op = factors[0]
        for f in factors[1:]:
            op = op @ f
        ops.append(op)
    return qml.Hamiltonian([c for c, _ in terms], ops), ops


def _pl_qnode(
    device: Any, n: int, layers: int, terms: Terms, diff_method: str, per_term: bool = False
) -> Any:
    import pennylane as qml

    layout = hea_layout(n, layers)
    ham, ops = _pl_hamiltonian(terms)
    kw = {"device_vjp": True} if per_term else {}

    @qml.qnode(device, diff_method=diff_method, **kw)
    def circuit(w: Any) -> Any:
        for gate, qs, k in layout:
            if gate == "ry":
                qml.RY(w[k], wires=qs[0])
            else:
                qml.CZ(wires=list(qs))
        if per_term:
            return [qml.expval(o) for o in ops]
        return qml.expval(ham)

    if not per_term:
        return circuit
    coeffs = np.array([c for c, _ in terms])

    def cost(w: Any) -> Any:
        return qml.math.dot(coeffs, qml.math.stack(circuit(w)))

    return cost


def _pl_grad(fn: Any, x: np.ndarray) -> np.ndarray:
    import pennylane as qml
    from pennylane import numpy as pnp

    return np.asarray(qml.grad(fn)(pnp.array(x, requires_grad=True)))


# ---------------------------------------------------------------- quimb+torch
def _quimb_energy(n: int, layers: int, terms: Terms, max_bond: int | None, dtype: str) -> Any:
    """``w -> <H>`` on quimb's CircuitMPS with torch arrays (autodiff through
    quimb's gate contractions and torch's SVD)."""
    import quimb.tensor as qtn
    import torch

    dt = getattr(torch, dtype)
    layout = hea_layout(n, layers)
    pauli = {
        "X": torch.tensor([[0, 1], [1, 0]], dtype=dt),
        "Z": torch.tensor([[1, 0], [0, -1]], dtype=dt),
    }
    local = []
    for c, t in terms:
        qs = tuple(sorted(t))
        g = pauli[t[qs[0]]]
        for q in qs[1:]:
            g = torch.kron(g, pauli[t[q]])
        local.append((c, g, qs))

    def to_torch(a: Any) -> Any:
        return a.to(dt) if torch.is_tensor(a) else torch.as_tensor(np.array(a), dtype=dt)

    def ry(theta: Any) -> Any:
        co, si = torch.cos(theta / 2).to(dt), torch.sin(theta / 2).to(dt)
        return torch.stack([torch.stack([co, -si]), torch.stack([si, co])])

    def energy(w: Any) -> Any:
        circ = qtn.CircuitMPS(n, max_bond=max_bond, cutoff=1e-10, dtype=dtype, to_backend=to_torch)
        for gate, qs, k in layout:
            if gate == "ry":
                circ.apply_gate_raw(ry(w[k]), list(qs))
            else:
                circ.apply_gate("CZ", *qs)
        e = 0.0
        for c, g, qs in local:
            e = e + c * circ.local_expectation(g, qs)
        return e.real if torch.is_complex(e) else e

    return energy


def _quimb_row(
    n: int,
    layers: int,
    terms: Terms,
    x: np.ndarray,
    max_bond: int | None,
    dtype: str,
    repeats: int,
) -> dict[str, Any]:
    row = _row(
        f"quimb+torch {dtype}",
        "gradient",
        f"CircuitMPS(max_bond={max_bond}, cutoff=1e-10, dtype={dtype!r}, torch arrays), "
        "ry from requires_grad angles, sum of local_expectation, backward()",
    )
    try:
        import torch

        torch.set_num_threads(1)
        energy = _quimb_energy(n, layers, terms, max_bond, dtype)

        def once() -> tuple[float, np.ndarray]:
            w = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            e = energy(w)
            e.backward()
            assert w.grad is not None
            return float(e.detach()), w.grad.numpy().copy()

        (value, grad), times = _timed(once, repeats)
        _fill_times(row, times)
        row["result"] = (value, grad)
    except ImportError as exc:
        row["status"] = f"unavailable ({exc.name})"
    except Exception as exc:
        _error(row, exc)
    return row


def _quimb_child(*args: Any) -> dict[str, Any]:
    ctx = _quiet()
    try:
        return _quimb_row(*args)
    finally:
        ctx.__exit__(None, None, None)


def _quimb_isolated(
    n: int,
    layers: int,
    terms: Terms,
    x: np.ndarray,
    max_bond: int | None,
    dtype: str,
    repeats: int,
    timeout_s: float = 300.0,
) -> dict[str, Any]:
    """:func:`_quimb_row` in a fresh (spawned) process: quimb 1.15 cannot run
    torch arrays through ``CircuitMPS`` once it has gated numpy arrays in the
    same process (PennyLane's ``default.tensor`` is quimb on numpy): its
    ``fuse`` then hands the torch tensors to numpy's ``reshape``."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures import TimeoutError as FutureTimeout

    args = (n, layers, terms, x, max_bond, dtype, repeats)
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        fut = pool.submit(_quimb_child, *args)
        try:
            row = fut.result(timeout=timeout_s)
        except FutureTimeout:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            row = _row(f"quimb+torch {dtype}", "gradient", "")
            row["status"] = f"timeout (over {timeout_s:.0f} s)"
        except Exception as exc:  # the child died
            row = _row(f"quimb+torch {dtype}", "gradient", "")
            _error(row, exc)
    row["notes"].append("run in a fresh process (see the section notes)")
    return row


# -------------------------------------------------------------------- qiskit
def _qiskit_hea(n: int, layers: int) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    th = ParameterVector("t", n * layers)
    qc = QuantumCircuit(n)
    for gate, qs, k in hea_layout(n, layers):
        if gate == "ry":
            assert k is not None
            qc.ry(th[k], qs[0])
        else:
            qc.cz(*qs)
    return qc


def _qiskit_qaoa(n: int, p: int) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    vec = {"g": ParameterVector("g", p), "b": ParameterVector("b", p)}
    qc = QuantumCircuit(n)
    for gate, qs, name in qaoa_layout(n, p):
        if gate == "h":
            qc.h(qs[0])
        else:
            assert name is not None
            getattr(qc, gate)(vec[name[0]][int(name[2:-1])], *qs)
    return qc


def _qiskit_op(terms: Terms, n: int) -> Any:
    from qiskit.quantum_info import SparsePauliOp

    return SparsePauliOp.from_sparse_list(
        [("".join(t[q] for q in sorted(t)), sorted(t), c) for c, t in terms], num_qubits=n
    )


def _aer_estimator() -> Any:
    from qiskit_aer.primitives import EstimatorV2

    return EstimatorV2(
        options={
            "backend_options": {
                "method": "statevector",
                "max_parallel_threads": 1,
                "max_parallel_experiments": 1,
            },
            "default_precision": 0.0,
        }
    )


def _shift_points(x: np.ndarray) -> np.ndarray:
    """``x`` and ``x +- pi/2 e_k`` for every k: rows ``0``, ``1 + 2k``, ``2 + 2k``."""
    num = x.size
    pts = np.tile(x, (2 * num + 1, 1))
    k = np.arange(num)
    pts[1 + 2 * k, k] += math.pi / 2
    pts[2 + 2 * k, k] -= math.pi / 2
    return pts


# ------------------------------------------------------------------ sections
def _section_mps(n: int, layers: int, max_bond: int, repeats: int, small: bool) -> dict[str, Any]:
    """tensorbond, PennyLane default.tensor and quimb+torch on the HEA gradient."""
    terms = hamiltonian_terms(n)
    obs = _tb_observable(terms)
    num = n * layers
    x = np.random.default_rng(0).uniform(0, 2 * math.pi, num)
    prog = tb.compile_circuit(hea(n, layers))
    x_tb = x[_order([p.name for p in prog.parameters], [f"t[{i}]" for i in range(num)])]
    back = np.argsort(_order([p.name for p in prog.parameters], [f"t[{i}]" for i in range(num)]))
    ref = tb.gradient(prog, obs, x_tb, method="adjoint", cutoff=REF_CUTOFF)
    ref_value, ref_grad = float(ref.value), np.asarray(ref.grad)[back]
    sec: dict[str, Any] = {
        "name": "gradient_mps_small" if small else "gradient_mps",
        "qubits": n,
        "layers": layers,
        "parameters": num,
        "max_bond": max_bond,
        "reference": {
            "how": 'tb.gradient(compiled, H, x, method="adjoint", cutoff=1e-14) (no max_bond)',
            "value": ref_value,
            "bond_reached": int(np.max(_expectation(prog, obs, x_tb, cutoff=REF_CUTOFF).max_bond)),
        },
        "notes": [
            "quimb+torch runs in a fresh process: in quimb 1.15, once CircuitMPS has "
            "applied a gate to numpy arrays in a process (as PennyLane's default.tensor "
            "does), torch-backed gates fail there (array_ops.fuse calls numpy's reshape "
            "on the torch tensor: 'Can't call numpy() on Tensor that requires grad')"
        ],
    }
    rows = _tb_gradient_rows(prog, obs, x_tb, max_bond, repeats, shift=True)
    for r in rows:
        res = r.pop("result")
        if r["timed"] == "gradient":
            _compare(r, res.value, np.asarray(res.grad)[back], ref_value, ref_grad)
        else:
            _compare(r, res.values, None, ref_value, None)
    base = rows[0]
    sec["adjoint_over_forward"] = rows[0]["median_s"] / rows[1]["median_s"]
    if len(rows) > 2:
        sec["shift_over_adjoint"] = rows[2]["median_s"] / rows[0]["median_s"]

    # PennyLane default.tensor, parameter-shift.
    pl = _row(
        "PennyLane default.tensor",
        "gradient" if small else "one <H>; gradient = 2P x that",
        f'qml.device("default.tensor", method="mps", max_bond_dim={max_bond}), '
        'diff_method="parameter-shift", '
        + ("qml.grad(qnode)(x)" if small else "qnode(x) timed, gradient extrapolated"),
    )
    ctx = _quiet()
    try:
        import pennylane as qml

        dev = qml.device("default.tensor", wires=n, method="mps", max_bond_dim=max_bond)
        qnode = _pl_qnode(dev, n, layers, terms, "parameter-shift")
        if small:
            grad, times = _timed(lambda: _pl_grad(qnode, x), repeats)
            _fill_times(pl, times)
            _compare(pl, float(qnode(x)), grad, ref_value, ref_grad)
        else:
            value, times = _timed(lambda: float(qnode(x)), repeats)
            pl["forward_median_s"] = statistics.median(times)
            pl["forward_times_s"] = times
            _fill_times(pl, [2 * num * t for t in times])
            pl["extrapolated"] = True
            pl["notes"].append(
                f"one evaluation {pl['forward_median_s']:.3f} s x {2 * num} shifted "
                f"evaluations = {pl['median_s']:.0f} s (extrapolated, not run)"
            )
            _compare(pl, value, None, ref_value, None)
            pl["forward_ratio"] = pl["forward_median_s"] / rows[1]["median_s"]
    except ImportError as exc:
        pl["status"] = f"unavailable ({exc.name})"
    except Exception as exc:
        _error(pl, exc)
    finally:
        ctx.__exit__(None, None, None)
    rows.append(pl)

    # quimb + torch autodiff: complex128 (quimb's default), then float64 (the
    # ansatz and H are real) where complex fails.
    q = _quimb_isolated(n, layers, terms, x, max_bond, "complex128", repeats)
    rows.append(q)
    if q["status"] != "ok" and not q["status"].startswith("unavailable"):
        rows.append(_quimb_isolated(n, layers, terms, x, max_bond, "float64", repeats))
    for r in rows:
        if "result" in r:
            value, grad = r.pop("result")
            _compare(r, value, grad, ref_value, ref_grad)
    _ratios(rows, base)
    sec["rows"] = rows
    return sec


def _section_exact(n: int, layers: int, repeats: int) -> dict[str, Any]:
    """No truncation: tensorbond adjoint, aer EstimatorV2 parameter-shift,
    PennyLane lightning.qubit and default.qubit adjoint."""
    terms = hamiltonian_terms(n)
    obs = _tb_observable(terms)
    num = n * layers
    x = np.random.default_rng(0).uniform(0, 2 * math.pi, num)
    prog = tb.compile_circuit(hea(n, layers))
    perm = _order([p.name for p in prog.parameters], [f"t[{i}]" for i in range(num)])
    back = np.argsort(perm)
    rows = []
    adj = _row(
        "tensorbond adjoint",
        "gradient",
        'tb.gradient(compiled, H, x, method="adjoint", cutoff=1e-14) (no max_bond)',
    )
    res, times = _timed(
        lambda: tb.gradient(prog, obs, x[perm], method="adjoint", cutoff=REF_CUTOFF), repeats
    )
    _fill_times(adj, times)
    ref_value, ref_grad = float(res.value), np.asarray(res.grad)[back]
    _compare(adj, ref_value, ref_grad, ref_value, ref_grad)
    rows.append(adj)
    fwd = _row("tensorbond forward", "one <H>", "tb.expectation(compiled, H, x) (engine auto)")
    res_f, times = _timed(lambda: _expectation(prog, obs, x[perm], engine="auto"), repeats)
    _fill_times(fwd, times)
    fwd["notes"].append(f"engine {getattr(res_f, 'engine', 'mps')}")
    _compare(fwd, res_f.values, None, ref_value, None)
    rows.append(fwd)

    aer = _row(
        "qiskit-aer EstimatorV2 parameter-shift",
        "gradient",
        'EstimatorV2(method="statevector", default_precision=0).run([(qc, H, pts)]): '
        f"one PUB of the {2 * num + 1} points x, x +- pi/2 e_k; grad = (E+ - E-)/2",
    )
    try:
        import qiskit_algorithms  # type: ignore[import-not-found]  # noqa: F401

        aer["notes"].append("qiskit_algorithms is importable but not used")
    except ImportError:
        aer["notes"].append(
            "qiskit_algorithms is not installed: the shift is done here, as "
            "ParamShiftEstimatorGradient does (one batched EstimatorV2 call)"
        )
    try:
        est = _aer_estimator()
        qc = _qiskit_hea(n, layers)
        hq = _qiskit_op(terms, n)
        qperm = _order([str(p) for p in qc.parameters], [f"t[{i}]" for i in range(num)])
        pts = _shift_points(x)[:, qperm]

        def aer_grad() -> tuple[float, np.ndarray]:
            evs = np.asarray(est.run([(qc, hq, pts)]).result()[0].data.evs)
            return float(evs[0]), 0.5 * (evs[1::2] - evs[2::2])

        (value, grad), times = _timed(aer_grad, repeats)
        _fill_times(aer, times)
        _compare(aer, value, grad, ref_value, ref_grad)
    except ImportError as exc:
        aer["status"] = f"unavailable ({exc.name})"
    except Exception as exc:
        _error(aer, exc)
    rows.append(aer)

    for device, per_term, how in (
        ("lightning.qubit", False, "qml.expval(qml.Hamiltonian(...))"),
        (
            "default.qubit",
            True,
            "one qml.expval per term, summed with the coefficients, device_vjp=True "
            "(default.qubit's adjoint builds the dense 2^n x 2^n matrix of a Hamiltonian "
            "observable: 64 GiB at 16 qubits)",
        ),
    ):
        row = _row(
            f"PennyLane {device} adjoint",
            "gradient",
            f'qml.device("{device}"), diff_method="adjoint", qml.grad; {how}',
        )
        ctx = _quiet()
        try:
            import pennylane as qml

            fn = _pl_qnode(qml.device(device, wires=n), n, layers, terms, "adjoint", per_term)
            grad, times = _timed(lambda fn=fn: _pl_grad(fn, x), repeats)
            _fill_times(row, times)
            _compare(row, float(fn(x)), grad, ref_value, ref_grad)
        except ImportError as exc:
            row["status"] = f"unavailable ({exc.name})"
        except Exception as exc:
            _error(row, exc)
        finally:
            ctx.__exit__(None, None, None)
        rows.append(row)
    _ratios(rows, adj)
    return {
        "name": "gradient_exact",
        "qubits": n,
        "layers": layers,
        "parameters": num,
        "max_bond": None,
        "reference": {"how": adj["how"], "value": ref_value},
        "rows": rows,
        "notes": [],
    }


def _section_sweep(n: int, p: int, points: int, repeats: int) -> dict[str, Any]:
    """``points`` parameter points of a ring QAOA: tensorbond, tensorbond's qiskit
    EstimatorV2, qiskit-aer's EstimatorV2 (exact)."""
    terms = ring_terms(n)
    obs = _tb_observable(terms)
    prog = tb.compile_circuit(qaoa(n, p))
    names = [f"b[{k}]" for k in range(p)] + [f"g[{k}]" for k in range(p)]
    pts = np.random.default_rng(0).uniform(0, math.pi, (points, 2 * p))  # columns: names
    tb_pts = pts[:, _order([q.name for q in prog.parameters], names)]
    # The exact reference: a dense state vector where it fits (every exact
    # contestant agrees with it to rounding), else the MPS at cutoff 1e-14.
    dense = n <= 20 and "engine" in inspect.signature(tb.expectation).parameters
    ref_kw: dict[str, Any] = {"engine": "statevector"} if dense else {"cutoff": REF_CUTOFF}
    ref = np.asarray(_expectation(prog, obs, tb_pts, **ref_kw).values)
    rows = []
    for engine in ("auto", "mps"):
        row = _row(
            f"tensorbond expectation ({engine})",
            f"{points} points",
            f"tb.expectation(compiled, H, params ({points}, {2 * p})"
            + (', engine="mps")' if engine == "mps" else ")"),
        )
        if engine == "mps" and "engine" not in inspect.signature(tb.expectation).parameters:
            continue
        res, times = _timed(lambda e=engine: _expectation(prog, obs, tb_pts, engine=e), repeats)
        _fill_times(row, times)
        row["notes"].append(f"engine {getattr(res, 'engine', 'mps')}")
        _compare(row, res.values, None, ref, None)
        rows.append(row)
    qc = hq = None
    try:
        qc, hq = _qiskit_qaoa(n, p), _qiskit_op(terms, n)
        q_pts = pts[:, _order([str(q) for q in qc.parameters], names)]
    except ImportError:
        q_pts = None
    ours = _row(
        "tensorbond.qiskit EstimatorV2",
        f"{points} points",
        f"tensorbond.qiskit.EstimatorV2().run([(qc, H, params ({points}, {2 * p}))])",
    )
    try:
        from tensorbond.qiskit import EstimatorV2 as TbEstimator  # type: ignore[import-not-found]

        if qc is None:
            raise ImportError("qiskit", name="qiskit")
        tbe = TbEstimator()
        evs, times = _timed(
            lambda: np.asarray(tbe.run([(qc, hq, q_pts)]).result()[0].data.evs), repeats
        )
        _fill_times(ours, times)
        _compare(ours, evs, None, ref, None)
        meta = tbe.run([(qc, hq, q_pts[:1])]).result()[0].metadata
        ours["notes"].append(f"engine {meta.get('engine', '?')}")
    except ImportError as exc:
        ours["status"] = f"unavailable ({exc})"
    except Exception as exc:
        _error(ours, exc)
    rows.append(ours)
    aer = _row(
        "qiskit-aer EstimatorV2 (exact)",
        f"{points} points",
        'EstimatorV2(options={"backend_options": {"method": "statevector"}, '
        f'"default_precision": 0}}).run([(qc, H, params ({points}, {2 * p}))])',
    )
    try:
        if qc is None:
            raise ImportError("qiskit", name="qiskit")
        est = _aer_estimator()
        evs, times = _timed(
            lambda: np.asarray(est.run([(qc, hq, q_pts)]).result()[0].data.evs), repeats
        )
        _fill_times(aer, times)
        _compare(aer, evs, None, ref, None)
    except ImportError as exc:
        aer["status"] = f"unavailable ({exc.name})"
    except Exception as exc:
        _error(aer, exc)
    rows.append(aer)
    _ratios(rows, rows[0])
    return {
        "name": "sweep",
        "qubits": n,
        "rounds": p,
        "parameters": 2 * p,
        "points": points,
        "reference": {
            "how": (
                'tb.expectation(compiled, H, params, engine="statevector")'
                if dense
                else 'tb.expectation(compiled, H, params, cutoff=1e-14, engine="mps")'
            ),
            "value": float(ref[0]),
        },
        "rows": rows,
        "notes": [],
    }


# ---------------------------------------------------------------------- run
def run(
    *,
    quick: bool = False,
    repeats: int | None = None,
    sections: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Run the variational benchmarks; returns the JSON-ready results.

    ``repeats`` timed calls per contestant after one untimed warm-up (default
    3; 1 with ``quick``); tensorbond's parameter-shift gradient is timed at
    most twice, without warm-up. ``sections``: a subset of ``gradient_mps``,
    ``gradient_mps_small``, ``gradient_exact``, ``sweep`` (default all).
    """
    notes = environment.pin_threads(("tensorbond", "quimb", "aer"))
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    repeats = repeats or (1 if quick else 3)
    size = SIZES["quick" if quick else "full"]
    chosen = set(sections or ("gradient_mps", "gradient_mps_small", "gradient_exact", "sweep"))
    out = []
    t0 = time.perf_counter()
    if "gradient_mps" in chosen:
        out.append(_section_mps(*size["mps"], repeats, small=False))
    if "gradient_mps_small" in chosen:
        out.append(_section_mps(*size["mps_small"], repeats, small=True))
    if "gradient_exact" in chosen:
        out.append(_section_exact(*size["exact"], repeats))
    if "sweep" in chosen:
        out.append(_section_sweep(*size["sweep"], repeats))
    return {
        "machine": environment.machine_info(),
        "versions": _versions(),
        "quick": quick,
        "repeats": repeats,
        "tolerance": ATOL,
        "wall_s": time.perf_counter() - t0,
        "sections": out,
        "notes": notes,
    }


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for pkg in ("pennylane", "pennylane_lightning", "quimb", "torch", "qiskit", "qiskit-aer"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


# ------------------------------------------------------------------- report
_TITLES = {
    "gradient_mps": "Gradient of <H>, MPS",
    "gradient_mps_small": "Gradient of <H>, MPS, small enough to measure every contestant",
    "gradient_exact": "Gradient of <H>, exact (no truncation)",
    "sweep": "Parameter sweep, ring QAOA",
}


def _fmt(v: Any, spec: str = ".3g") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not math.isfinite(v):
        return "nan"
    return format(v, spec)


def _size_line(s: dict[str, Any]) -> str:
    if s["name"] == "sweep":
        return (
            f"{s['qubits']} qubits, p={s['rounds']} ({s['parameters']} parameters), "
            f"{s['points']} points, H = sum Z_i Z_(i+1) over the ring edges"
        )
    bond = f"max_bond {s['max_bond']}" if s["max_bond"] else "no truncation"
    return (
        f"{s['qubits']} qubits, {s['layers']} layers ({s['parameters']} parameters), {bond}; "
        "H = sum Z_i Z_(i+1) + 0.5 sum X_i; ry layers and cz bricks, angles seed 0"
    )


def render_markdown(doc: dict[str, Any]) -> str:
    """The results as markdown tables, one per section."""
    quick = " --quick" if doc["quick"] else ""
    md = [
        "# Variational circuits: gradients and parameter sweeps",
        "",
        f"`tensorbond bench --suite variational{quick}`: one thread everywhere, median of "
        f"{doc['repeats']} timed calls after an untimed warm-up (tensorbond's "
        "parameter-shift: at most 2, no warm-up), all in one process and one run. "
        "`x tb` is the median over tensorbond's for the same quantity (the section's first "
        "row; for one <H>, tensorbond forward); above 1 means slower than tensorbond. "
        "Differences are to tensorbond at full bond "
        f"(no max_bond, cutoff 1e-14); agreement: within {doc['tolerance']:g} x max(1, |ref|).",
    ]
    for s in doc["sections"]:
        md += [
            "",
            f"## {_TITLES.get(s['name'], s['name'])} (`{s['name']}`)",
            "",
            _size_line(s) + f". Reference: `{s['reference']['how']}`"
            f" = {s['reference']['value']:.10g}.",
            "",
            "| contestant | timed | median s | min s | x tb | max abs diff value "
            "| max abs diff grad | agrees | notes |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in s["rows"]:
            status = "" if r["status"] == "ok" else r["status"]
            notes = "; ".join([n for n in ([status] + r["notes"]) if n])
            agrees = {None: "-", True: "yes", False: "**NO**"}[r["agrees"]]
            est = "~" if r["extrapolated"] else ""
            md.append(
                f"| {r['contestant']} | {r['timed']} | {est}{_fmt(r['median_s'])} "
                f"| {est}{_fmt(r['min_s'])} | {est}{_fmt(r['ratio'], '.3g')} "
                f"| {_fmt(r['max_abs_diff_value'], '.1e')} "
                f"| {_fmt(r['max_abs_diff_grad'], '.1e')} | {agrees} | {notes} |"
            )
        extra = []
        if "adjoint_over_forward" in s:
            extra.append(f"tensorbond adjoint / forward: {s['adjoint_over_forward']:.1f}")
        if "shift_over_adjoint" in s:
            extra.append(f"parameter-shift / adjoint: {s['shift_over_adjoint']:.1f}")
        for r in s["rows"]:
            if "forward_ratio" in r:
                extra.append(
                    f"{r['contestant']} one evaluation / tensorbond forward: "
                    f"{r['forward_ratio']:.0f}"
                )
        if extra:
            md += ["", "; ".join(extra) + "."]
        md += ["", "How each ran:", ""]
        md += [f"- {r['contestant']}: `{r['how']}`" for r in s["rows"]]
        md += [f"- {n}" for n in s["notes"]]
    m = doc["machine"]
    git = m.get("git") or {}
    rev = (
        str(git.get("short", "?")) + ("+dirty" if git.get("dirty") else "")
        if isinstance(git, dict)
        else str(git)
    )
    vers = ", ".join(f"{k} {v}" for k, v in doc["versions"].items())
    md += [
        "",
        f"Machine: {m.get('cpu_model')}, {m.get('cpu_count')} cores, Python "
        f"{m.get('python')}, tensorbond git {rev}; {vers}. Whole run {doc['wall_s']:.0f} s.",
    ]
    md += [f"- {n}" for n in doc["notes"]]
    return "\n".join(md) + "\n"


def write(doc: dict[str, Any], out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``variational.md`` and ``variational.json`` (``-quick`` suffixed for
    quick runs) to ``out_dir``; returns their paths."""
    return write_part(doc, out_dir, "variational", render_markdown(doc))
