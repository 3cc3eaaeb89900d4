"""qiskit's Sampler V2 primitive on tensorbond: :class:`SamplerV2`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from qiskit.primitives import BaseSamplerV2, PrimitiveResult
from qiskit.primitives.containers import BitArray, DataBin, SamplerPubResult
from qiskit.primitives.containers.sampler_pub import SamplerPub

from .._validate import as_count, as_generator
from ..sim.circuit import Circuit
from ..sim.run import RunResult, run
from .convert import coerce_pubs, convert_circuit, point_rows
from .job import PrimitiveJob
from .options import SamplerOptions, as_options

__all__ = ["SamplerV2", "clbit_rows", "run_bits"]


def clbit_rows(result: RunResult, num_clbits: int) -> np.ndarray:
    """A :func:`tensorbond.run` result's memory as ``(shots, num_clbits)`` bits,
    column ``j`` classical bit ``j``.

    Raises
    ------
    ValueError
        A result run without ``memory=True``.
    """
    if result.memory is None:
        raise ValueError("the run result has no memory: run with memory=True")
    if num_clbits == 0 or result.shots == 0:
        return np.zeros((result.shots, num_clbits), dtype=np.uint8)
    # Keys are each register high bit first, the last register leftmost: without
    # the spaces, the classical bits from the highest down to bit 0.
    text = "".join(result.memory).replace(" ", "").encode("ascii")
    bits = np.frombuffer(text, dtype=np.uint8).reshape(result.shots, num_clbits) - ord("0")
    return np.ascontiguousarray(bits[:, ::-1])


def run_bits(
    circuit: Circuit,
    shots: int,
    rng: np.random.Generator,
    options: SamplerOptions,
) -> tuple[np.ndarray, RunResult]:
    """``shots`` shots of ``circuit`` as ``(shots, num_clbits)`` bits, and the run."""
    res = run(
        circuit,
        shots,
        seed=rng,
        max_bond=options.max_bond,
        cutoff=options.cutoff,
        cutoff_mode=options.cutoff_mode,
        memory=True,
    )
    return clbit_rows(res, circuit.num_clbits), res


class SamplerV2(BaseSamplerV2):  # type: ignore[misc]
    """qiskit's Sampler V2 primitive, simulated by tensorbond.

    Each PUB's circuit is converted once with symbolic parameters; each
    parameter point binds them and runs :func:`tensorbond.run`, so mid-circuit
    measurements, resets and ``if_test`` blocks work. The data bin holds one
    ``BitArray`` per classical register, named like it, with qiskit's bit order
    (bit 0 of the register is the least significant).

    Parameters
    ----------
    default_shots : int
        Shots of PUBs and runs that give none.
    seed : int or numpy.random.Generator, optional
        Seed of the shots (each run draws from one generator made from it).
    options : dict or SamplerOptions, optional
        ``max_bond``, ``cutoff``, ``cutoff_mode``.

    Notes
    -----
    Each PUB result's metadata holds ``shots``, ``circuit_metadata``,
    ``fidelity`` and ``max_bond`` (arrays of the parameter values' shape: the
    shot-weighted fidelity estimate and the largest bond of each point's run)
    and ``simulator`` (``"tensorbond.mps"``).

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2)
    >>> _ = qc.h(0)
    >>> _ = qc.cx(0, 1)
    >>> qc.measure_all()
    >>> counts = SamplerV2(seed=1).run([qc], shots=100).result()[0].data.meas.get_counts()
    >>> sorted(counts)
    ['00', '11']
    """

    def __init__(
        self,
        *,
        default_shots: int = 1024,
        seed: int | np.random.Generator | None = None,
        options: Mapping[str, Any] | SamplerOptions | None = None,
    ) -> None:
        self._default_shots = as_count(default_shots, "default_shots")
        as_generator(seed)  # refuse a bad seed now
        self._seed = seed
        self._options = as_options(SamplerOptions, options)

    @property
    def default_shots(self) -> int:
        """Shots of PUBs that give none."""
        return self._default_shots

    @property
    def seed(self) -> int | np.random.Generator | None:
        """The seed."""
        return self._seed

    @property
    def options(self) -> SamplerOptions:
        """The options."""
        return self._options

    def run(self, pubs: Iterable[Any], *, shots: int | None = None) -> PrimitiveJob:
        """Sample PUBs.

        Parameters
        ----------
        pubs : iterable of SamplerPubLike
            Circuits, ``(circuit[, parameter_values[, shots]])`` tuples or
            ``SamplerPub`` objects.
        shots : int, optional
            Shots of PUBs that give none (default: ``default_shots``).

        Returns
        -------
        PrimitiveJob
            Its ``result()`` is a ``PrimitiveResult`` of ``SamplerPubResult`` s.

        Raises
        ------
        ValueError
            PUBs that qiskit's coercion refuses (parameter values of the wrong
            width, non-positive shots).
        """
        if shots is None:
            shots = self._default_shots
        coerced = coerce_pubs(SamplerPub, pubs, shots)
        return PrimitiveJob(self._run, coerced)

    def _run(self, pubs: list[SamplerPub]) -> PrimitiveResult[SamplerPubResult]:
        rng = as_generator(self._seed)
        return PrimitiveResult([self._run_pub(pub, rng) for pub in pubs], metadata={"version": 2})

    def _run_pub(self, pub: SamplerPub, rng: np.random.Generator) -> SamplerPubResult:
        qc = pub.circuit
        shots = int(pub.shots)
        rows, shape = point_rows(pub.parameter_values, qc)
        conv = convert_circuit(qc, drop_global_phase=True, compile=False)
        npts = rows.shape[0]
        bits = np.empty((npts, shots, qc.num_clbits), dtype=np.uint8)
        fid = np.empty(npts)
        bond = np.empty(npts, dtype=np.int64)
        for i, row in enumerate(rows):
            bits[i], res = run_bits(conv.bound(row), shots, rng, self._options)
            fid[i], bond[i] = res.fidelity_estimate, res.max_bond_reached
        bits = bits.reshape(*shape, shots, qc.num_clbits)
        meas = {}
        for reg in qc.cregs:
            cols = [qc.find_bit(b).index for b in reg]
            meas[reg.name] = BitArray.from_bool_array(bits[..., cols].astype(bool), order="little")
        return SamplerPubResult(
            DataBin(**meas, shape=shape),
            metadata={
                "shots": shots,
                "circuit_metadata": qc.metadata,
                "fidelity": fid.reshape(shape),
                "max_bond": bond.reshape(shape),
                "simulator": "tensorbond.mps",
            },
        )
