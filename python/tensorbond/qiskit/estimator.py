"""qiskit's Estimator V2 primitive on tensorbond: :class:`EstimatorV2`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from qiskit.primitives import BaseEstimatorV2, PrimitiveResult
from qiskit.primitives.containers import DataBin, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub

from .._validate import as_generator
from ..sim.expectation import expectation
from .convert import PauliSum, coerce_pubs, convert_circuit, point_rows, sparse_terms
from .job import PrimitiveJob
from .options import EstimatorOptions, as_options, as_precision

__all__ = ["EstimatorV2"]


class EstimatorV2(BaseEstimatorV2):  # type: ignore[misc]
    """qiskit's Estimator V2 primitive, simulated by tensorbond.

    Each PUB's circuit is converted and compiled once with its parameters kept
    symbolic; every parameter point then runs the compiled gates once and
    evaluates every distinct observable of the PUB on the final state
    (:func:`tensorbond.expectation`). Observables broadcast against parameter
    values by qiskit's rules.

    Parameters
    ----------
    options : dict or EstimatorOptions, optional
        ``max_bond``, ``cutoff``, ``cutoff_mode``, ``default_precision``,
        ``seed``, ``engine`` (see :class:`EstimatorOptions`).

    Notes
    -----
    Precision 0 (the default) gives exact values of the simulated state, with
    ``stds`` 0. A positive precision adds Gaussian noise of that standard
    deviation to each value (seeded by ``seed``, a fresh generator per PUB as in
    qiskit's ``StatevectorEstimator``) and reports it in ``stds``.

    Each PUB result's metadata holds ``target_precision``, ``circuit_metadata``,
    ``fidelity`` and ``max_bond`` (arrays of the parameter values' shape: the
    fidelity estimate and the largest bond of each point's state), ``engine``
    and ``simulator`` (``"tensorbond.mps"``).

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import Parameter
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> qc = QuantumCircuit(2)
    >>> _ = qc.ry(Parameter("t"), 0)
    >>> _ = qc.cx(0, 1)
    >>> pub = (qc, SparsePauliOp("ZZ"), [[0.0], [np.pi]])
    >>> EstimatorV2().run([pub]).result()[0].data.evs.round(12) + 0.0
    array([1., 1.])
    """

    def __init__(self, *, options: Mapping[str, Any] | EstimatorOptions | None = None) -> None:
        self._options = as_options(EstimatorOptions, options)

    @property
    def options(self) -> EstimatorOptions:
        """The options."""
        return self._options

    def run(self, pubs: Iterable[Any], *, precision: float | None = None) -> PrimitiveJob:
        """Estimate expectation values of PUBs.

        Parameters
        ----------
        pubs : iterable of EstimatorPubLike
            ``(circuit, observables[, parameter_values[, precision]])`` tuples
            or ``EstimatorPub`` objects.
        precision : float, optional
            Precision of PUBs that give none (default: ``default_precision``).

        Returns
        -------
        PrimitiveJob
            Its ``result()`` is a ``PrimitiveResult`` of ``PubResult`` s with
            ``evs``, ``stds`` and ``shape`` in their data.

        Raises
        ------
        ValueError
            PUBs that qiskit's coercion refuses: observables on more qubits
            than the circuit, parameter values of the wrong width, a negative
            precision.
        """
        if precision is None:
            precision = self._options.default_precision
        precision = as_precision(precision, "precision")
        coerced = coerce_pubs(EstimatorPub, pubs, precision)
        return PrimitiveJob(self._run, coerced)

    def _run(self, pubs: list[EstimatorPub]) -> PrimitiveResult[PubResult]:
        return PrimitiveResult([self._run_pub(pub) for pub in pubs], metadata={"version": 2})

    def _run_pub(self, pub: EstimatorPub) -> PubResult:
        opts = self._options
        qc = pub.circuit
        n = qc.num_qubits
        # The distinct observables, each evaluated once per point.
        table: dict[PauliSum, int] = {}
        sparse = pub.observables.sparse_observables_array()
        which = np.empty(sparse.shape, dtype=np.intp)
        for index, obs in np.ndenumerate(sparse):
            which[index] = table.setdefault(sparse_terms(obs, n), len(table))
        observables = [list(t) for t in table]
        rows, shape = point_rows(pub.parameter_values, qc)
        conv = convert_circuit(qc, drop_global_phase=True)
        kwargs: dict[str, Any] = {
            "max_bond": opts.max_bond,
            "cutoff": opts.cutoff,
            "cutoff_mode": opts.cutoff_mode,
            "engine": opts.engine,
        }
        npts = rows.shape[0]
        if conv.compiled is not None and conv.circuit is not None:
            if conv.circuit.parameters:
                res = expectation(conv.compiled, observables, conv.rows(rows), **kwargs)
                values, fid, bond, engine = res.values, res.fidelity, res.max_bond, res.engine
            else:  # the same state at every point
                res = expectation(conv.compiled, observables, **kwargs)
                values = np.broadcast_to(res.values, (npts, len(observables)))
                fid = np.full(npts, float(res.fidelity))
                bond = np.full(npts, int(res.max_bond), dtype=np.int64)
                engine = res.engine
        else:
            values = np.empty((npts, len(observables)))
            fid = np.empty(npts)
            bond = np.empty(npts, dtype=np.int64)
            engine = "mps"
            for i, row in enumerate(rows):
                res = expectation(conv.bound(row), observables, **kwargs)
                values[i], fid[i], bond[i] = res.values, res.fidelity, res.max_bond
                engine = res.engine
        out_shape = np.broadcast_shapes(shape, which.shape)
        point = np.broadcast_to(np.arange(npts).reshape(shape), out_shape)
        evs = np.asarray(values, dtype=np.float64)[point, np.broadcast_to(which, out_shape)]
        stds = np.zeros(out_shape)
        if pub.precision > 0:
            rng = as_generator(opts.seed)
            evs = rng.normal(evs, pub.precision)
            stds[...] = pub.precision
        data = DataBin(evs=evs, stds=stds, shape=out_shape)
        return PubResult(
            data,
            metadata={
                "target_precision": pub.precision,
                "circuit_metadata": qc.metadata,
                "fidelity": fid.reshape(shape),
                "max_bond": bond.reshape(shape),
                "engine": engine,
                "simulator": "tensorbond.mps",
            },
        )
