"""Matrix product states: the circuit simulator's state."""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .. import _core
from .._validate import as_count, as_seed, as_state_dtype, as_tolerance
from ..interop.quimb import site_tensors_from_quimb, to_quimb
from ..ir.pauli import PAULI, PauliTerm, parse_pauli_sum
from ..memory import check_allocation
from ..truncation import (
    RESTORE_CUTOFF,
    SIMULATION_CUTOFF,
    CutoffMode,
    SplitMethod,
    Truncation,
    core_routing,
)
from .observables import (
    MPO,
    correlations,
    entanglement,
    mpo_expectation,
    mpo_variance,
    reduced_density_matrix,
)

__all__ = ["MPS", "PauliTerm", "Samples"]

_Impl = _core.Mps_complex64 | _core.Mps_complex128
_DTYPES: dict[np.dtype[Any], type[_Impl]] = {
    np.dtype(np.complex64): _core.Mps_complex64,
    np.dtype(np.complex128): _core.Mps_complex128,
}
#: One sample() call returns at most this many bytes of 0/1 outcomes (16 GiB).
MAX_SAMPLE_BYTES = 2**34
_SAVE_VERSION = 1  # of the .npz format MPS.save writes


class Samples(Sequence[str]):
    """Measurement outcomes: a sequence of bitstrings, qubit 0 leftmost.

    ``bits`` holds them as a ``(shots, num_qubits)`` uint8 array, column ``q``
    being qubit ``q``. ``counts(order="qiskit")`` gives the keys in the order of
    :func:`tensorbond.run` and qiskit instead (qubit 0 rightmost).
    """

    def __init__(self, bits: np.ndarray) -> None:
        self.bits = bits
        self.bits.setflags(write=False)

    def __len__(self) -> int:
        return int(self.bits.shape[0])

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return _rows_as_str(self.bits[i])
        return self.bits[i].tobytes().translate(_BIT_CHARS).decode()

    def __iter__(self) -> Iterator[str]:
        yield from _rows_as_str(self.bits)

    def counts(self, order: Literal["qubit", "qiskit"] = "qubit") -> dict[str, int]:
        """Occurrences of each bitstring, most frequent first.

        Parameters
        ----------
        order : {"qubit", "qiskit"}
            Bit order of the keys. ``"qubit"`` (default, tensorbond's and quimb's
            order): qubit 0 is the leftmost character. ``"qiskit"``: each key
            reversed, qubit 0 the rightmost character, the order of qiskit's
            counts and of ``tensorbond.run(...).counts`` for a circuit that
            measures qubit ``i`` into clbit ``i``.

        Raises
        ------
        ValueError
            ``order`` is neither ``"qubit"`` nor ``"qiskit"``.

        Examples
        --------
        >>> import tensorbond as tb
        >>> tb.MPS.from_bitstring("100").sample(4, seed=0).counts()
        {'100': 4}
        >>> tb.MPS.from_bitstring("100").sample(4, seed=0).counts(order="qiskit")
        {'001': 4}
        """
        if order == "qubit":
            rows = _rows_as_str(self.bits)
        elif order == "qiskit":
            rows = _rows_as_str(self.bits[:, ::-1])
        else:
            raise ValueError(f"order must be 'qubit' or 'qiskit', got {order!r}")
        return dict(Counter(rows).most_common())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Samples):
            return np.array_equal(self.bits, other.bits)
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(repr(self[i]) for i in range(min(len(self), 8)))
        more = ", ..." if len(self) > 8 else ""
        return f"Samples([{shown}{more}], shots={len(self)})"


_BIT_CHARS = bytes.maketrans(b"\x00\x01", b"01")


def _rows_as_str(bits: np.ndarray) -> list[str]:
    n = bits.shape[1]
    raw = bits.tobytes().translate(_BIT_CHARS).decode()
    return [raw[i : i + n] for i in range(0, len(raw), n)] if n else [""] * bits.shape[0]


class MPS:
    """A matrix product state of qubits with a tracked orthogonality centre.

    Site tensors have shape ``(chi_left, 2, chi_right)``; qubit 0 is site 0, the
    leftmost character of a bitstring and the most significant bit of a dense
    index. Usually made by :func:`tensorbond.simulate`.

    Parameters
    ----------
    num_qubits : int
        Number of qubits; the state is ``|0...0>``.
    dtype : {"complex128", "complex64"}
        Scalar type of the tensors.

    Notes
    -----
    Thread safety: queries (``amplitude``, ``probability``, ``expectation``,
    ``sample``, ``to_dense``, ``schmidt_values``, ``reduced_density_matrix``, the
    properties) never change the state. Where they need the orthogonality centre
    elsewhere they move it on a private copy of the sites in between, so any
    number of threads may query one state at once, with results bit-identical to
    serial calls in any order. Mutations (``apply_gate``, measurement, ``run``)
    take the state's lock exclusively: they wait for running queries and block
    new ones, so a mutation is never seen half done. The GIL is released in the
    kernels, so queries in threads run in parallel.

    Examples
    --------
    >>> import tensorbond as tb
    >>> psi = tb.MPS.from_bitstring("0110")
    >>> psi.amplitude("0110")
    (1+0j)
    """

    def __init__(self, num_qubits: int, *, dtype: Any = "complex128") -> None:
        if isinstance(num_qubits, bool) or not isinstance(num_qubits, (int, np.integer)):
            raise TypeError(f"num_qubits must be an int, got {type(num_qubits).__name__}")
        if num_qubits < 1:
            raise ValueError(f"num_qubits must be at least 1, got {num_qubits}")
        self._dtype = as_state_dtype(dtype)
        self._impl: _Impl = _DTYPES[self._dtype](int(num_qubits))
        self.clbit_map: dict[int, int] = {}

    @classmethod
    def _wrap(cls, impl: Any, dtype: np.dtype) -> MPS:
        self = cls.__new__(cls)
        self._dtype = dtype
        self._impl = impl
        self.clbit_map = {}
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling (Dask, multiprocessing): the site tensors as numpy arrays (out
        # of band under pickle protocol 5), layout, centre and history, restored
        # exactly: no canonicalizing sweep on the way back.
        tensors = [self.site_tensor(i) for i in range(self.num_qubits)]
        history = (
            self.fidelity_estimate,
            self.truncation_error,
            self.num_truncations,
            self.max_bond_reached,
        )
        return (
            _restore_mps,
            (tensors, self.layout, self.center, history, dict(self.clbit_map), str(self.dtype)),
        )

    @classmethod
    def from_site_tensors(
        cls, tensors: Sequence[Any], *, layout: Sequence[int] | None = None, dtype: Any = None
    ) -> MPS:
        """A state from site tensors ``(chi_left, 2, chi_right)`` (end bonds 1).

        ``layout[site]`` is the qubit each site holds (default: site i holds
        qubit i). The tensors need no canonical form: an exact QR sweep makes
        one. The dtype defaults to the tensors' (complex64 or complex128).

        Raises
        ------
        ValueError
            Shapes whose bonds disagree, non-finite entries, a bad layout.
        """
        arrays = [np.asarray(t) for t in tensors]
        if not arrays:
            raise ValueError("an MPS needs at least one site tensor")
        dt = as_state_dtype(
            dtype
            if dtype is not None
            else (
                "complex64"
                if all(a.dtype in (np.complex64, np.float32) for a in arrays)
                else "complex128"
            )
        )
        n = len(arrays)
        lay = list(range(n)) if layout is None else [int(q) for q in layout]
        if sorted(lay) != list(range(n)):
            raise ValueError(f"layout must be a permutation of 0..{n - 1}, got {lay}")
        for i, a in enumerate(arrays):
            if a.ndim != 3 or a.shape[1] != 2:
                raise ValueError(f"site tensor {i} must have shape (left, 2, right), got {a.shape}")
        if arrays[0].shape[0] != 1 or arrays[-1].shape[2] != 1:
            raise ValueError("the first tensor's left bond and the last one's right bond must be 1")
        impl = _DTYPES[dt].from_cores([np.ascontiguousarray(a, dtype=dt) for a in arrays], lay)
        return cls._wrap(impl, dt)

    def to_quimb(self) -> Any:
        """This state as a ``quimb.tensor.MatrixProductState`` (site i = qubit i).

        A state whose routing moved qubits is restored to the identity layout
        first, exactly, on a copy.
        """
        s = self
        if s.layout != list(range(s.num_qubits)):
            s = self.copy().restore_layout(max_bond=None)
        return to_quimb([s.site_tensor(i) for i in range(s.num_qubits)])

    @classmethod
    def from_quimb(cls, psi: Any, *, dtype: Any = "complex128") -> MPS:
        """A state from a ``quimb.tensor.MatrixProductState`` (site i = qubit i)."""
        dt = as_state_dtype(dtype)
        return cls.from_site_tensors(site_tensors_from_quimb(psi, dt), dtype=dt)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the state to an ``.npz`` file: site tensors, layout, dtype,
        truncation history (fidelity estimate, discarded weight, truncations,
        largest bond reached), final-measurement map and a format version."""
        p = Path(path)
        if p.suffix != ".npz":
            p = p.with_name(p.name + ".npz")
        arrays = {f"site{i}": self.site_tensor(i) for i in range(self.num_qubits)}
        meta = {
            "format": "tensorbond.mps",
            "version": _SAVE_VERSION,
            "num_qubits": self.num_qubits,
            "dtype": str(self.dtype),
            "layout": self.layout,
            "fidelity_estimate": self.fidelity_estimate,
            "truncation_error": self.truncation_error,
            "num_truncations": self.num_truncations,
            "max_bond_reached": self.max_bond_reached,
            "clbit_map": {str(k): v for k, v in self.clbit_map.items()},
        }
        # mypy matches **arrays against savez's allow_pickle: bool; the keys are site0, site1, ...
        np.savez(p, __meta__=np.array(json.dumps(meta)), **arrays)  # type: ignore[arg-type]
        return p

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MPS:
        """Read a state written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            No such file.
        ValueError
            Not a tensorbond MPS file, one from a newer format version, or a
            malformed one (unreadable or truncated archive, missing or mistyped
            metadata, missing or inconsistent site tensors, a fidelity estimate
            outside [0, 1], a ``clbit_map`` naming a qubit outside the state):
            the message names the file and what is wrong.
        """
        p = Path(path)

        def bad(what: str) -> ValueError:
            return ValueError(f"{path} is not a tensorbond MPS file: {what}")

        with open(p, "rb") as fh:  # np.load would leak the handle of a bad zip
            try:
                z = np.load(fh, allow_pickle=False)
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
                raise bad(f"cannot read it as an .npz archive ({exc})") from None
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise bad("it holds a single array, not an .npz archive")
            try:
                with z:
                    if "__meta__" not in z.files:
                        raise ValueError(f"{path} is not a tensorbond MPS file (no metadata)")
                    meta = _read_meta(z, bad)
                    n = meta["num_qubits"]
                    missing = [f"site{i}" for i in range(n) if f"site{i}" not in z.files]
                    if missing:
                        raise bad(
                            f"{n} qubits but no {', '.join(missing[:3])}"
                            + (" ..." if len(missing) > 3 else "")
                        )
                    tensors = [_read_array(z, f"site{i}", bad) for i in range(n)]
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                raise bad(f"the archive is damaged ({exc})") from None
        for i, t in enumerate(tensors):
            if t.dtype.kind not in "biufc":
                raise bad(f"site{i} has dtype {t.dtype}, not a number type")
        try:
            out = cls.from_site_tensors(tensors, layout=meta["layout"], dtype=meta["dtype"])
        except (ValueError, TypeError) as exc:
            raise bad(str(exc)) from None
        out._impl.set_history(
            meta["fidelity_estimate"],
            meta["truncation_error"],
            meta["num_truncations"],
            meta["max_bond_reached"],
        )
        out.clbit_map = meta["clbit_map"]
        return out

    @classmethod
    def from_bitstring(cls, bits: str | Sequence[int], *, dtype: Any = "complex128") -> MPS:
        """The computational basis state ``|bits>`` (qubit 0 leftmost)."""
        b = _parse_bits(bits, None)
        vecs = np.zeros((len(b), 2), dtype=np.complex128)
        vecs[np.arange(len(b)), b] = 1.0
        return cls.from_product(vecs, dtype=dtype)

    @classmethod
    def from_product(cls, vectors: Any, *, dtype: Any = "complex128") -> MPS:
        """The product state of per-qubit 2-vectors, shape ``(n, 2)`` (not normalized).

        Raises
        ------
        ValueError
            Wrong shape, a zero vector, NaN or infinite entries.
        """
        v = np.asarray(vectors)
        if v.ndim != 2 or v.shape[1] != 2 or v.shape[0] < 1:
            raise ValueError(f"product state needs shape (n, 2) with n >= 1, got {v.shape}")
        v = np.ascontiguousarray(v, dtype=np.complex128)
        dt = as_state_dtype(dtype)
        return cls._wrap(_DTYPES[dt].product(v), dt)

    # ------------------------------------------------------------- properties
    @property
    def num_qubits(self) -> int:
        """Number of qubits (sites)."""
        return int(self._impl.num_sites)

    @property
    def dtype(self) -> np.dtype:
        """Scalar type of the site tensors."""
        return self._dtype

    @property
    def bond_dims(self) -> list[int]:
        """The ``num_qubits - 1`` bond dimensions between sites, left to right.

        Sites hold the qubits listed by :attr:`layout` (the identity unless SWAP
        gates or ``routing="lazy"`` moved them).
        """
        return list(self._impl.bond_dims)

    @property
    def layout(self) -> list[int]:
        """Which qubit each site holds, left to right."""
        return list(self._impl.layout)

    def restore_layout(
        self,
        *,
        max_bond: int | None | Literal["reached"] = "reached",
        cutoff: float = RESTORE_CUTOFF,
    ) -> MPS:
        """Move the qubits back so that site i holds qubit i (adjacent swaps).

        Each swap is truncated with ``max_bond`` and ``cutoff`` (rsum2) and counts
        in the fidelity estimate. The default bound is the largest bond the state
        has reached (:attr:`max_bond_reached`), its own truncation: a layout that
        routing scrambled while bonds sat at ``max_bond`` can need up to
        ``2^(n/2)`` to restore exactly. ``max_bond=None`` restores exactly, at
        whatever bond that takes. :meth:`schmidt_values` and :meth:`entropy` do
        this first, with the default bound.
        """
        bond = self.max_bond_reached if max_bond == "reached" else max_bond
        self._impl.restore_layout(Truncation(bond, cutoff).to_core())
        return self

    @property
    def max_bond(self) -> int:
        """Largest current bond dimension."""
        return max(self.bond_dims, default=1)

    @property
    def max_bond_reached(self) -> int:
        """Largest bond dimension the state has had during its evolution."""
        return max(int(self._impl.max_bond_reached), self.max_bond)

    @property
    def fidelity_estimate(self) -> float:
        """Product over truncations of (1 - normalized discarded weight)."""
        return float(self._impl.fidelity_estimate)

    @property
    def truncation_error(self) -> float:
        """Sum of the normalized discarded weights of all truncations."""
        return float(self._impl.discarded_weight)

    @property
    def num_truncations(self) -> int:
        """How many splits discarded a non-zero weight."""
        return int(self._impl.num_truncations)

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the site tensors."""
        return int(self._impl.memory_bytes)

    @property
    def center(self) -> int:
        """The orthogonality centre (site)."""
        return int(self._impl.center)

    def canonicalize(self, site: int) -> MPS:
        """Move the orthogonality centre to ``site`` by QR sweeps (exact: nothing
        is truncated); returns the state. Gates next to the centre then need no
        sweep first, which is how a benchmark times one gate alone."""
        self._impl.move_center(self._site(site, "site"))
        return self

    def record_svd_shapes(self, on: bool = True) -> None:
        """Start (or stop) recording the ``(m, n)`` shape of every SVD this state
        runs; :meth:`svd_shapes` returns them (the LAPACK floor of a workload)."""
        if on:
            self._impl.clear_svd_shapes()
        self._impl.record_svd_shapes(bool(on))

    def svd_shapes(self) -> np.ndarray:
        """The recorded SVD shapes, an int array of shape ``(k, 2)``."""
        return np.asarray(self._impl.svd_shapes(), dtype=np.int64).reshape(-1, 2)

    def split_stats(self) -> dict[str, float]:
        """How this state's truncated splits were factorized since it was made.

        Returns
        -------
        dict
            ``"svd"``, ``"eig"``, ``"rand"``, ``"qr"``: splits per route taken
            (after ``split="auto"`` chose and any fallback); ``"fallbacks"``:
            Gram routes handed to the SVD (a kept spectrum too wide for the
            Gram matrix's precision, or LAPACK failing); ``"madds"``: the
            complex multiply-adds of the routes' GEMM/QR work (the benchmark's
            GEMM floor).
        """
        return dict(self._impl.split_stats())

    def site_tensor(self, site: int) -> np.ndarray:
        """A copy of site tensor ``site``, shape ``(chi_left, 2, chi_right)``.

        The site holds qubit ``layout[site]``.
        """
        return self._impl.core(self._site(site))

    def copy(self) -> MPS:
        """An independent copy."""
        out = MPS._wrap(self._impl.copy(), self._dtype)
        out.clbit_map = dict(self.clbit_map)
        return out

    def __repr__(self) -> str:
        return (
            f"MPS(num_qubits={self.num_qubits}, dtype={self._dtype}, "
            f"max_bond={self.max_bond}, fidelity_estimate={self.fidelity_estimate:.6g})"
        )

    def _site(self, q: Any, what: str = "qubit") -> int:
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)):
            raise TypeError(f"{what} must be an int, got {type(q).__name__}")
        if not 0 <= q < self.num_qubits:
            raise IndexError(f"{what} {q} is out of range for {self.num_qubits} qubits")
        return int(q)

    # ------------------------------------------------------------ evolution
    def apply_gate(
        self,
        matrix: Any,
        qubits: Sequence[int],
        *,
        max_bond: int | None = None,
        cutoff: float = SIMULATION_CUTOFF,
        cutoff_mode: CutoffMode = "rsum2",
        renormalize: bool = False,
        routing: str = "auto",
        split: SplitMethod = "auto",
    ) -> MPS:
        """Apply a unitary on 1 to 3 qubits in place (first qubit = MSB of the matrix).

        Gates on distant qubits are routed as in :func:`tensorbond.simulate`
        (``routing``); bonds are truncated at the orthogonality centre with the
        given policy, each split factorized by ``split`` (as in
        :func:`tensorbond.simulate`).

        Raises
        ------
        ValueError
            Wrong shape, non-unitary or non-finite matrix, repeated qubit.
        IndexError
            A qubit outside the state.
        """
        qs = [self._site(q) for q in qubits]
        k = len(qs)
        if not 1 <= k <= 3:
            raise ValueError(f"gates act on 1 to 3 qubits, got {k}")
        if len(set(qs)) != k:
            raise ValueError(f"gate applied to repeated qubits {tuple(qs)}")
        m = np.ascontiguousarray(matrix, dtype=np.complex128)
        if m.shape != (2**k, 2**k):
            raise ValueError(f"gate on {k} qubit(s) needs shape {(2**k, 2**k)}, got {m.shape}")
        if not np.all(np.isfinite(m)):
            raise ValueError("gate matrix contains NaN or infinite values")
        err = float(np.max(np.abs(m @ m.conj().T - np.eye(2**k))))
        if err > 1e-8:
            raise ValueError(f"gate matrix is not unitary: max |U U^dag - I| = {err:.3g}")
        t = Truncation(max_bond, cutoff, cutoff_mode, renormalize, split)
        if routing not in ("auto", "swap", "mpo", "lazy"):
            raise ValueError(f"routing must be 'auto', 'swap', 'mpo' or 'lazy', got {routing!r}")
        self._impl.apply_gate(qs, m, t.to_core(), core_routing(routing))
        return self

    # -------------------------------------------------------------- queries
    def _norm_squared_nonzero(self, what: str) -> float:
        """``<psi|psi>``, refusing a state of norm zero (or a non-finite norm)."""
        n2 = float(self._impl.norm_squared())
        if not (n2 > 0.0 and math.isfinite(n2)):
            raise ValueError(
                f"{what} is undefined for a state of norm {math.sqrt(n2) if n2 >= 0 else n2}"
                " (the state is zero, or not finite): nothing to normalize by"
            )
        return n2

    def norm(self) -> float:
        """The 2-norm ``sqrt(<psi|psi>)`` (below 1 after truncation unless renormalized)."""
        return math.sqrt(self._impl.norm_squared())

    def amplitude(self, bits: str | Sequence[int]) -> complex:
        """The amplitude ``<bits|psi>`` (qubit 0 leftmost), O(n chi^2)."""
        b = _parse_bits(bits, self.num_qubits)
        return complex(self._impl.amplitude(b))

    def probability(self, bits: str | Sequence[int]) -> float:
        """Probability of measuring ``bits``: ``|<bits|psi>|^2 / <psi|psi>``.

        Raises
        ------
        ValueError
            A malformed bitstring, or a state of norm zero (nothing to divide by).
        """
        a = self.amplitude(bits)
        return (a.real**2 + a.imag**2) / self._norm_squared_nonzero("probability")

    def to_dense(self) -> np.ndarray:
        """The state vector of length ``2**n``, qubit 0 most significant.

        Raises
        ------
        ValueError
            For more than 30 qubits (2^30 amplitudes), with the size it would need.
        MemoryError
            When the vector (and the workspace of its contraction) exceeds the
            memory available (see :func:`tensorbond.set_max_memory`).
        """
        if self.num_qubits > 30:
            gib = (2**self.num_qubits) * self._dtype.itemsize / 2**30
            raise ValueError(
                f"to_dense of {self.num_qubits} qubits would need {gib:.3g} GiB; "
                "refusing beyond 30 qubits (use amplitude(), sample() or expectation())"
            )
        # The contraction holds two vectors at once (three with a moved layout).
        check_allocation(
            3 * 2**self.num_qubits * self._dtype.itemsize,
            f"to_dense of {self.num_qubits} qubits",
        )
        return self._impl.to_dense()

    def sample(self, shots: int, *, seed: int | np.random.Generator | None = None) -> Samples:
        """Draw ``shots`` perfect samples in the computational basis.

        Sequential conditional sampling from the canonical form: O(n chi^2) per
        distinct prefix, with shots that share a prefix handled together. The
        state is unchanged: if its orthogonality centre is not at qubit 0 the
        sites up to the centre are copied to move it there.

        Returns
        -------
        Samples
            Bitstrings, qubit 0 leftmost; ``.counts()`` tallies them.
        """
        shots = as_count(shots, "shots")
        if shots * self.num_qubits > MAX_SAMPLE_BYTES:
            raise ValueError(
                f"{shots} shots of {self.num_qubits} qubits need "
                f"{shots * self.num_qubits / 2**30:.3g} GiB of bitstrings; draw them in "
                f"batches of at most {MAX_SAMPLE_BYTES // self.num_qubits} shots"
            )
        return Samples(self._impl.sample(shots, as_seed(seed)))

    def expectation(
        self, op: PauliTerm | Sequence[tuple[complex, PauliTerm]] | Mapping[str, complex]
    ) -> float | complex:
        """Expectation value ``<psi|O|psi> / <psi|psi>`` of Pauli strings.

        Parameters
        ----------
        op
            A Pauli string (``"X0 Z3 Y7"``, ``"Z0*Z1"`` or ``{0: "X", 3: "Z"}``), or
            a weighted sum: a list of ``(coefficient, string)`` pairs or a dict
            ``{string: coefficient}``.

        Returns
        -------
        float or complex
            Real when all coefficients are real (the operator is Hermitian).

        Raises
        ------
        ValueError
            A malformed Pauli string, or a state of norm zero.
        """
        terms = parse_pauli_sum(op)
        norm2 = self._norm_squared_nonzero("expectation")
        total = 0j
        for coeff, term in terms:
            sites = sorted(term)
            for q in sites:
                self._site(q)
            mats = np.array([PAULI[term[q]] for q in sites], dtype=np.complex128).reshape(
                len(sites), 2, 2
            )
            total += coeff * complex(self._impl.expectation_product(sites, mats))
        total /= norm2
        if all(complex(c).imag == 0 for c, _ in terms):
            return float(total.real)
        return total

    def expectation_mpo(self, mpo: Any) -> complex:
        """``<psi|O|psi> / <psi|psi>`` for a :class:`~tensorbond.MPO` ``O``."""
        return mpo_expectation(self, mpo)

    def variance(self, op: Any) -> float:
        """``<O^2> - <O>^2`` of a Hermitian operator: an MPO or a Pauli sum."""
        mpo = op if isinstance(op, MPO) else MPO.from_pauli_sum(op, self.num_qubits)
        return mpo_variance(self, mpo)

    def reduced_density_matrix(self, qubits: Sequence[int]) -> np.ndarray:
        """Density matrix of any set of qubits (first listed = most significant)."""
        return reduced_density_matrix(self, qubits)

    def entanglement(self, *, base: float = 2.0) -> tuple[list[np.ndarray], np.ndarray]:
        """Schmidt spectrum and entropy at every bond."""
        return entanglement(self, base=base)

    def correlations(self, a: Any, b: Any | None = None) -> np.ndarray:
        """``C[i, j] = <A_i B_j>`` for all pairs (one sweep per row)."""
        return correlations(self, a, b)

    def schmidt_values(self, bond: int) -> np.ndarray:
        """Normalized Schmidt values across ``bond`` (between qubits bond, bond+1).

        If the :attr:`layout` was moved, it is restored on a copy (the state
        itself is unchanged).
        """
        if isinstance(bond, bool) or not isinstance(bond, (int, np.integer)):
            raise TypeError(f"bond must be an int, got {type(bond).__name__}")
        if not 0 <= bond < self.num_qubits - 1:
            raise IndexError(
                f"bond {bond} is out of range: {self.num_qubits} qubits have bonds "
                f"0..{self.num_qubits - 2}"
            )
        s = np.asarray(self._impl.schmidt_values(int(bond)), dtype=np.float64)
        normalized: np.ndarray = s / np.linalg.norm(s)
        return normalized

    def entropy(self, bond: int, *, base: float = 2.0) -> float:
        """Von Neumann entanglement entropy across ``bond``, ``-sum p log p``.

        ``p`` are the squared normalized Schmidt values; logarithm in ``base``
        (2 by default, as quimb).
        """
        p = self.schmidt_values(bond) ** 2
        p = p[p > 0]
        return float(-np.sum(p * np.log(p)) / math.log(base))


def _restore_mps(
    tensors: list[np.ndarray],
    layout: list[int],
    center: int,
    history: tuple[float, float, int, int],
    clbit_map: dict[int, int],
    dtype: str,
) -> MPS:
    """The inverse of :meth:`MPS.__reduce__`: the state exactly as it was."""
    dt = as_state_dtype(dtype)
    impl = _DTYPES[dt].from_cores(
        [np.ascontiguousarray(a, dtype=dt) for a in tensors], layout, center
    )
    impl.set_history(*history)
    out = MPS._wrap(impl, dt)
    out.clbit_map = clbit_map
    return out


def _read_array(z: Any, key: str, bad: Any) -> np.ndarray:
    try:
        return np.asarray(z[key])
    except ValueError as exc:  # object arrays (pickles) and malformed headers
        raise bad(f"{key} cannot be read ({exc})") from None


def _read_meta(z: Any, bad: Any) -> dict[str, Any]:
    """The validated metadata of an MPS file (see :meth:`MPS.load`)."""
    raw = _read_array(z, "__meta__", bad)
    if raw.shape != () or raw.dtype.kind != "U":
        raise bad(f"__meta__ must be a JSON string, got a {raw.dtype} array of shape {raw.shape}")
    try:
        meta = json.loads(str(raw))
    except ValueError as exc:
        raise bad(f"__meta__ is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise bad(f"__meta__ must be a JSON object, got {type(meta).__name__}")
    if meta.get("format") != "tensorbond.mps":
        raise bad(f"format is {meta.get('format')!r}, not 'tensorbond.mps'")
    keys = (
        "num_qubits",
        "dtype",
        "layout",
        "fidelity_estimate",
        "truncation_error",
        "num_truncations",
        "max_bond_reached",
        "clbit_map",
    )
    missing = [k for k in keys if k not in meta]
    if missing:
        raise bad(f"metadata lacks {', '.join(missing)}")
    out: dict[str, Any] = {}
    try:
        version = as_count(meta.get("version", _SAVE_VERSION), "version")
        if version > _SAVE_VERSION:
            raise ValueError(
                f"format version {version}; this tensorbond reads up to {_SAVE_VERSION}"
            )
        n = out["num_qubits"] = as_count(meta["num_qubits"], "num_qubits", minimum=1)
        if meta["dtype"] not in ("complex64", "complex128"):
            raise ValueError(f"dtype must be 'complex64' or 'complex128', got {meta['dtype']!r}")
        out["dtype"] = meta["dtype"]
        layout = meta["layout"]
        if not isinstance(layout, list):
            raise TypeError(f"layout must be a list, got {type(layout).__name__}")
        out["layout"] = [as_count(q, "layout entry") for q in layout]
        if sorted(out["layout"]) != list(range(n)):
            raise ValueError(f"layout must be a permutation of 0..{n - 1}, got {layout}")
        fid = as_tolerance(meta["fidelity_estimate"], "fidelity_estimate")
        if fid > 1.0:
            raise ValueError(f"fidelity_estimate must lie in [0, 1], got {fid!r}")
        out["fidelity_estimate"] = fid
        out["truncation_error"] = as_tolerance(meta["truncation_error"], "truncation_error")
        out["num_truncations"] = as_count(meta["num_truncations"], "num_truncations")
        out["max_bond_reached"] = as_count(meta["max_bond_reached"], "max_bond_reached", minimum=1)
        cmap = meta["clbit_map"]
        if not isinstance(cmap, dict):
            raise TypeError(f"clbit_map must be an object, got {type(cmap).__name__}")
        out["clbit_map"] = {}
        for k, v in cmap.items():
            if not (isinstance(k, str) and k.isdigit()):
                raise ValueError(f"clbit_map keys must be classical bit numbers, got {k!r}")
            q = as_count(v, f"clbit_map[{k}]")
            if q >= n:
                raise ValueError(f"clbit_map[{k}] = {q} names a qubit outside the {n}-qubit state")
            out["clbit_map"][int(k)] = q
    except (TypeError, ValueError) as exc:
        raise bad(str(exc)) from None
    return out


def _parse_bits(bits: str | Sequence[int], n: int | None) -> np.ndarray:
    if isinstance(bits, str):
        if not bits or set(bits) - {"0", "1"}:
            raise ValueError(f"bitstring must contain only '0' and '1', got {bits!r}")
        arr = np.frombuffer(bits.encode(), dtype=np.uint8) - ord("0")
    else:
        arr = np.asarray(bits)
        if arr.ndim != 1 or (arr.size and not np.isin(arr, (0, 1)).all()):
            raise ValueError("bits must be a 1-D sequence of 0 and 1")
        arr = arr.astype(np.uint8)
    if n is not None and arr.size != n:
        raise ValueError(f"bitstring has {arr.size} bits, the state has {n} qubits")
    return np.ascontiguousarray(arr, dtype=np.uint8)
