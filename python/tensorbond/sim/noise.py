"""Noise channels and noise models, simulated by quantum trajectories.

A :class:`Channel` is a completely positive trace-preserving map given by Kraus
operators; :func:`tensorbond.run` unravels it by drawing one Kraus operator per
trajectory with probability ``||K_k psi||^2``. Channels that are mixtures of
unitaries (depolarizing, bit and phase flips) have state-independent
probabilities; the others (amplitude and phase damping, general Kraus sets on
one qubit) take them from the qubit's reduced density matrix.

A :class:`NoiseModel` attaches channels after named gates (optionally on given
qubits only) and readout errors to measurements.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt

from .._validate import as_count
from ..ir.gates import GATES

__all__ = [
    "Channel",
    "NoiseModel",
    "ReadoutError",
    "amplitude_damping",
    "bit_flip",
    "depolarizing",
    "kraus",
    "phase_damping",
    "phase_flip",
]

_PAULI = {
    "i": np.eye(2, dtype=complex),
    "x": np.array([[0, 1], [1, 0]], dtype=complex),
    "y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "z": np.array([[1, 0], [0, -1]], dtype=complex),
}


@dataclass(frozen=True)
class Channel:
    """A CPTP map on one or two qubits, as Kraus operators.

    Attributes
    ----------
    name : str
    num_qubits : int
    kraus : tuple of numpy.ndarray
        ``(2^k, 2^k)`` operators with ``sum K^dag K = I`` (first qubit most
        significant, as for gates).
    mixture : tuple of (float, numpy.ndarray) or None
        For a mixture of unitaries, ``(p_k, U_k)`` with ``K_k = sqrt(p_k) U_k``:
        the branch probabilities do not depend on the state.
    """

    name: str
    num_qubits: int
    kraus: tuple[np.ndarray, ...]
    mixture: tuple[tuple[float, np.ndarray], ...] | None = None

    def superoperator(self) -> np.ndarray:
        """``sum_k K_k (x) conj(K_k)``, acting on row-major vectorized density matrices.

        Returns
        -------
        numpy.ndarray
            The ``(4^k, 4^k)`` complex matrix ``S`` with
            ``vec(E(rho)) = S vec(rho)``, ``vec`` stacking rows.
        """
        return cast(np.ndarray, sum(np.kron(k, k.conj()) for k in self.kraus))  # kraus non-empty

    def apply_to_density(self, rho: np.ndarray) -> np.ndarray:
        """``sum_k K_k rho K_k^dag`` for a density matrix on this channel's qubits.

        Parameters
        ----------
        rho : numpy.ndarray
            A ``(2^k, 2^k)`` density matrix, first qubit most significant.

        Returns
        -------
        numpy.ndarray
            The ``(2^k, 2^k)`` image of ``rho``.
        """
        out: np.ndarray = sum(k @ rho @ k.conj().T for k in self.kraus)
        return out


def kraus(ops: Iterable[npt.ArrayLike], *, name: str = "kraus", atol: float = 1e-10) -> Channel:
    """A general channel from Kraus operators on one or two qubits.

    Parameters
    ----------
    ops : iterable of array_like
        The Kraus operators, all ``(2, 2)`` or all ``(4, 4)`` (first qubit most
        significant); copied to read-only complex128 arrays.
    name : str
        The channel's name, for messages and ``repr``.
    atol : float
        Largest entry of ``|sum K^dag K - I|`` accepted.

    Returns
    -------
    Channel
        With ``mixture`` set when every operator is a multiple of a unitary.

    Raises
    ------
    ValueError
        No operators, wrong shapes, non-finite entries, or ``sum K^dag K != I``
        within ``atol`` (the map would not preserve the trace).
    """
    mats = [np.array(k, dtype=np.complex128) for k in ops]
    if not mats:
        raise ValueError("a channel needs at least one Kraus operator")
    d = mats[0].shape[0] if mats[0].ndim == 2 else 0
    if d not in (2, 4) or any(m.shape != (d, d) for m in mats):
        raise ValueError(
            "Kraus operators must all be (2, 2) or all (4, 4), got shapes "
            f"{[m.shape for m in mats]}"
        )
    if not all(np.all(np.isfinite(m)) for m in mats):
        raise ValueError("Kraus operators contain NaN or infinite values")
    total = sum(m.conj().T @ m for m in mats)
    err = float(np.max(np.abs(total - np.eye(d))))
    if err > atol:
        raise ValueError(
            f"Kraus operators are not trace preserving: max |sum K^dag K - I| = {err:.3g}"
        )
    for m in mats:
        m.setflags(write=False)
    mixture = _as_mixture(mats)
    return Channel(name, 1 if d == 2 else 2, tuple(mats), mixture)


def _as_mixture(mats: Sequence[np.ndarray]) -> tuple[tuple[float, np.ndarray], ...] | None:
    """``(p, U)`` pairs when every operator is a multiple of a unitary, else None."""
    out = []
    d = mats[0].shape[0]
    for m in mats:
        p = float(np.real(np.trace(m.conj().T @ m))) / d
        if p <= 0:
            continue
        u = m / np.sqrt(p)
        if np.max(np.abs(u.conj().T @ u - np.eye(d))) > 1e-10:
            return None
        out.append((p, u))
    return tuple(out)


def _known_gate_names() -> frozenset[str]:
    """Lower-case names a circuit operation can carry (``channels_after`` compares
    lower-cased names)."""
    return frozenset(name.lower() for name in GATES) | {"unitary"}


def _check_prob(p: float, what: str, high: float = 1.0) -> float:
    p = float(p)
    if not (0.0 <= p <= high):
        raise ValueError(f"{what} must lie in [0, {high:g}], got {p}")
    return p


def depolarizing(p: float, num_qubits: int = 1) -> Channel:
    """``rho -> (1 - p) rho + p I / 2^k``: each non-identity Pauli string with
    probability ``p / 4^k`` (so ``p`` up to ``4^k / (4^k - 1)``).

    Parameters
    ----------
    p : float
        Depolarizing probability, in ``[0, 4^k / (4^k - 1)]``.
    num_qubits : int
        ``k``, 1 or 2.

    Returns
    -------
    Channel
        A mixture of the ``4^k`` Pauli strings.

    Raises
    ------
    ValueError
        ``num_qubits`` not 1 or 2, or ``p`` outside its range.
    """
    if num_qubits not in (1, 2):
        raise ValueError(f"depolarizing acts on 1 or 2 qubits, got {num_qubits}")
    n = 4**num_qubits
    p = _check_prob(p, "depolarizing probability", n / (n - 1))
    ops = []
    for labels in itertools.product("ixyz", repeat=num_qubits):
        u = _PAULI[labels[0]] if num_qubits == 1 else np.kron(_PAULI[labels[0]], _PAULI[labels[1]])
        w = 1 - p + p / n if set(labels) == {"i"} else p / n
        ops.append(np.sqrt(w) * u)
    return kraus(ops, name=f"depolarizing({p:g})" if num_qubits == 1 else f"depolarizing2({p:g})")


def bit_flip(p: float) -> Channel:
    """X with probability ``p``.

    Parameters
    ----------
    p : float
        Flip probability, in ``[0, 1]``.

    Returns
    -------
    Channel
        A one-qubit mixture of I and X.

    Raises
    ------
    ValueError
        ``p`` outside ``[0, 1]``.
    """
    p = _check_prob(p, "bit-flip probability")
    return kraus([np.sqrt(1 - p) * _PAULI["i"], np.sqrt(p) * _PAULI["x"]], name=f"bit_flip({p:g})")


def phase_flip(p: float) -> Channel:
    """Z with probability ``p``.

    Parameters
    ----------
    p : float
        Flip probability, in ``[0, 1]``.

    Returns
    -------
    Channel
        A one-qubit mixture of I and Z.

    Raises
    ------
    ValueError
        ``p`` outside ``[0, 1]``.
    """
    p = _check_prob(p, "phase-flip probability")
    return kraus(
        [np.sqrt(1 - p) * _PAULI["i"], np.sqrt(p) * _PAULI["z"]], name=f"phase_flip({p:g})"
    )


def amplitude_damping(gamma: float) -> Channel:
    """Energy relaxation ``|1> -> |0>`` with probability ``gamma``.

    Parameters
    ----------
    gamma : float
        Decay probability, in ``[0, 1]``.

    Returns
    -------
    Channel
        One qubit, Kraus operators ``[[1, 0], [0, sqrt(1 - gamma)]]`` and
        ``[[0, sqrt(gamma)], [0, 0]]``.

    Raises
    ------
    ValueError
        ``gamma`` outside ``[0, 1]``.
    """
    g = _check_prob(gamma, "amplitude damping gamma")
    return kraus(
        [np.array([[1, 0], [0, np.sqrt(1 - g)]]), np.array([[0, np.sqrt(g)], [0, 0]])],
        name=f"amplitude_damping({g:g})",
    )


def phase_damping(lam: float) -> Channel:
    """Dephasing: off-diagonal elements shrink by ``sqrt(1 - lam)``.

    Parameters
    ----------
    lam : float
        Dephasing strength, in ``[0, 1]``.

    Returns
    -------
    Channel
        One qubit, Kraus operators ``[[1, 0], [0, sqrt(1 - lam)]]`` and
        ``[[0, 0], [0, sqrt(lam)]]``.

    Raises
    ------
    ValueError
        ``lam`` outside ``[0, 1]``.
    """
    lam = _check_prob(lam, "phase damping lambda")
    return kraus(
        [np.array([[1, 0], [0, np.sqrt(1 - lam)]]), np.array([[0, 0], [0, np.sqrt(lam)]])],
        name=f"phase_damping({lam:g})",
    )


@dataclass(frozen=True)
class ReadoutError:
    """Classical flips of a measured bit: ``p01`` = P(read 1 | was 0),
    ``p10`` = P(read 0 | was 1)."""

    p01: float
    p10: float

    def flip_probability(self, bit: int) -> float:
        """Probability that a true ``bit`` is read as its complement.

        Parameters
        ----------
        bit : int
            The measured value, 0 or 1 (anything but 0 counts as 1).

        Returns
        -------
        float
            ``p01`` for 0, ``p10`` for 1.
        """
        return self.p01 if bit == 0 else self.p10


@dataclass
class NoiseModel:
    """Which channels follow which gates, and the readout errors.

    Examples
    --------
    >>> import tensorbond as tb
    >>> noise = tb.NoiseModel()
    >>> _ = noise.add(tb.depolarizing(0.01), gates=["h", "x"])
    >>> _ = noise.add(tb.depolarizing(0.02, 2), gates=["cx"])
    >>> _ = noise.add_readout_error(0.02, 0.05)
    """

    _rules: list[tuple[Channel, frozenset[str] | None, frozenset[int] | None]] = field(
        default_factory=list
    )
    _readout: dict[int | None, ReadoutError] = field(default_factory=dict)

    def add(
        self,
        channel: Channel,
        *,
        gates: Iterable[str] | None = None,
        qubits: Iterable[int] | None = None,
    ) -> NoiseModel:
        """Apply ``channel`` after every gate named in ``gates`` (all gates when
        None) that touches one of ``qubits`` (any when None).

        A one-qubit channel acts on every qubit of the gate; a two-qubit channel
        follows two-qubit gates only, on their qubits in order. Gate names are
        those of :data:`tensorbond.gates.GATES` (any case) and ``"unitary"``
        (matrices added with :meth:`Circuit.unitary`).

        Parameters
        ----------
        channel : Channel
            The channel applied.
        gates : iterable of str, optional
            Gate names it follows (any case); ``None`` for every gate.
        qubits : iterable of int, optional
            Only gates touching one of these qubits; ``None`` for any qubit.

        Returns
        -------
        NoiseModel
            This model (calls chain).

        Raises
        ------
        TypeError
            ``channel`` is not a :class:`Channel`, ``gates`` a single string or
            ``qubits`` not ints.
        ValueError
            A gate name that no circuit can contain (a typo would otherwise
            silently add no noise), or a negative qubit.
        """
        if not isinstance(channel, Channel):
            raise TypeError(f"expected a Channel, got {type(channel).__name__}")
        g = None
        if gates is not None:
            if isinstance(gates, str):
                raise TypeError(
                    f"gates must be a list of gate names, got the string "
                    f"{gates!r} (write gates=[{gates!r}])"
                )
            g = frozenset(str(x).lower() for x in gates)
            unknown = sorted(g - _known_gate_names())
            if unknown:
                raise ValueError(
                    f"unknown gate name(s) {', '.join(map(repr, unknown))} in gates; "
                    "known: the names of tensorbond.gates.GATES and 'unitary'"
                )
        q = (
            frozenset(as_count(x, "qubit of a noise rule") for x in qubits)
            if qubits is not None
            else None
        )
        self._rules.append((channel, g, q))
        return self

    def add_readout_error(
        self, p01: float, p10: float | None = None, *, qubits: Iterable[int] | None = None
    ) -> NoiseModel:
        """Flip measurement results: 0 read as 1 with ``p01``, 1 as 0 with ``p10``
        (default ``p01``), on ``qubits`` (all when None).

        Parameters
        ----------
        p01 : float
            P(read 1 | was 0), in ``[0, 1]``.
        p10 : float, optional
            P(read 0 | was 1), in ``[0, 1]``; ``None`` for ``p01``.
        qubits : iterable of int, optional
            The qubits whose readout is noisy; ``None`` for all of them. An
            error on a given qubit takes precedence over the all-qubit one, and
            a later call replaces an earlier one on the same qubits.

        Returns
        -------
        NoiseModel
            This model (calls chain).

        Raises
        ------
        ValueError
            A probability outside ``[0, 1]``.
        """
        err = ReadoutError(_check_prob(p01, "p01"), _check_prob(p01 if p10 is None else p10, "p10"))
        for q in (None,) if qubits is None else qubits:
            self._readout[None if q is None else int(q)] = err
        return self

    def channels_after(
        self, name: str, qubits: Sequence[int]
    ) -> list[tuple[Channel, tuple[int, ...]]]:
        """The channels (with the qubits they act on) that follow one gate.

        Parameters
        ----------
        name : str
            The gate's name (any case; ``"unitary"`` for explicit matrices).
        qubits : sequence of int
            The gate's qubits, in its order.

        Returns
        -------
        list of (Channel, tuple of int)
            In the order the rules were added; a one-qubit channel once per
            qubit of the gate that its rule covers.
        """
        out: list[tuple[Channel, tuple[int, ...]]] = []
        for ch, gates, only in self._rules:
            if gates is not None and name.lower() not in gates:
                continue
            if only is not None and not any(q in only for q in qubits):
                continue
            if ch.num_qubits == 1:
                out.extend((ch, (q,)) for q in qubits if only is None or q in only)
            elif len(qubits) == 2:
                out.append((ch, tuple(qubits)))
        return out

    def readout(self, qubit: int) -> ReadoutError | None:
        """The readout error on ``qubit``, if any.

        Parameters
        ----------
        qubit : int
            The measured qubit.

        Returns
        -------
        ReadoutError or None
            The error set for this qubit, else the one set for all qubits, else
            ``None``.
        """
        return self._readout.get(qubit, self._readout.get(None))

    def check(self, num_qubits: int) -> None:
        """Raise if a rule names a qubit outside the circuit.

        Parameters
        ----------
        num_qubits : int
            The circuit's number of qubits.

        Raises
        ------
        IndexError
            A channel rule or readout error on a qubit ``>= num_qubits``.
        """
        for _, _, only in self._rules:
            for q in only or ():
                if not 0 <= q < num_qubits:
                    raise IndexError(f"noise on qubit {q}: the circuit has {num_qubits} qubits")
        for rq in self._readout:
            if rq is not None and not 0 <= rq < num_qubits:
                raise IndexError(
                    f"readout error on qubit {rq}: the circuit has {num_qubits} qubits"
                )

    def __bool__(self) -> bool:
        return bool(self._rules or self._readout)
