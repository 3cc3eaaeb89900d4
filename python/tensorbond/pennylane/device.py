"""The ``tensorbond.mps`` PennyLane device: circuits run as matrix product states.

``qml.device("tensorbond.mps", wires=n, max_bond=64)`` runs a QNode on
:func:`tensorbond.simulate`; expectation values come from Pauli sums or MPOs on
the final state, samples from its perfect sampler, and ``diff_method="adjoint"``
(or ``"best"``) from :func:`tensorbond.gradient`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import simulator_tracking, single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    no_sampling,
    null_postprocessing,
    validate_adjoint_trainable_params,
    validate_device_wires,
    validate_measurements,
    validate_observables,
)
from pennylane.exceptions import DeviceError
from pennylane.measurements import (
    DensityMatrixMP,
    ExpectationMP,
    MutualInfoMP,
    ProbabilityMP,
    PurityMP,
    StateMP,
    VarianceMP,
    VnEntropyMP,
)
from pennylane.transforms import (
    broadcast_expand,
    defer_measurements,
    diagonalize_measurements,
    split_non_commuting,
)
from pennylane.transforms.core import CompilePipeline, transform
from pennylane.wires import Wires

from .._validate import as_generator, as_optional_bond, as_tolerance
from ..sim.compile import compile_circuit
from ..sim.expectation import as_observables
from ..sim.gradient import gradient
from ..sim.mps import MPS
from ..sim.simulate import simulate
from ..truncation import SIMULATION_CUTOFF
from .convert import (
    MAX_DENSE_OBSERVABLE_QUBITS,
    Operator,
    supports_operation,
    tape_to_circuit,
    to_operator,
)

__all__ = ["MPSDevice"]

#: Largest number of measured wires read from a reduced density matrix.
_MAX_RDM_WIRES = 10
#: Largest state whose probabilities come from its dense vector.
_MAX_DENSE_WIRES = 24

_ANALYTIC = (
    ExpectationMP,
    VarianceMP,
    ProbabilityMP,
    StateMP,
    PurityMP,
    VnEntropyMP,
    MutualInfoMP,
)


def _analytic_measurement(mp: Any) -> bool:
    # DensityMatrixMP is a StateMP
    return isinstance(mp, _ANALYTIC)


def _observable_supported(obs: Any) -> bool:
    if obs.pauli_rep is not None:
        return True
    if isinstance(obs, qml.ops.SProd):
        return _observable_supported(obs.base)
    if isinstance(obs, qml.ops.Sum):
        return all(_observable_supported(o) for o in obs.operands)
    return bool(obs.has_matrix) and len(obs.wires) <= MAX_DENSE_OBSERVABLE_QUBITS


def _expval_only(mp: Any) -> bool:
    return isinstance(mp, ExpectationMP)


@transform  # type: ignore[misc]
def prepare_sampling(tape: Any) -> tuple[Sequence[Any], Callable[..., Any]]:
    """Split a tape with shots into groups of commuting measurements and rotate
    each group to the computational basis; tapes without shots pass unchanged
    (their observables are evaluated on the state as they are)."""
    if not tape.shots:
        return (tape,), null_postprocessing
    tapes, recombine = split_non_commuting(tape)
    out = []
    steps = []
    for t in tapes:
        (diagonal,), step = diagonalize_measurements(t)
        out.append(diagonal)
        steps.append(step)

    def postprocess(results: Sequence[Any]) -> Any:
        return recombine(tuple(f((r,)) for f, r in zip(steps, results, strict=True)))

    return tuple(out), postprocess


def _squeeze_jacobian(jac: np.ndarray) -> Any:
    # PennyLane's layout for device jacobians: scalar, tuple, or tuple of tuples
    jac = np.squeeze(jac)
    if jac.ndim == 0:
        return np.array(jac)
    if jac.ndim == 1:
        return tuple(np.array(j) for j in jac)
    return tuple(tuple(np.array(x) for x in row) for row in jac)


@simulator_tracking
@single_tape_support
class MPSDevice(Device):  # type: ignore[misc]
    """A PennyLane device that simulates circuits as matrix product states.

    Parameters
    ----------
    wires : int or iterable, optional
        The number of wires, or their labels; qubit ``i`` of the MPS is the
        ``i``-th wire. ``None``: the wires of each circuit, in its order.
    shots : int or sequence, optional
        Default shots (deprecated by PennyLane in favour of ``qml.set_shots``).
    max_bond : int, optional
        Largest bond dimension of the state (``None``: exact).
    cutoff : float
        Singular value cutoff of every truncation (``cutoff_mode`` as in
        :func:`tensorbond.simulate`), default ``1e-12``. It discards tiny weights
        even below ``max_bond``: values then agree with an exact simulator to
        about ``1e-12`` and gradients to about ``1e-7``; ``cutoff=0`` (or ``1e-16``)
        makes both exact to rounding, at some cost in speed.
    cutoff_mode : {"rsum2", "sum2", "rel", "abs"}
        How ``cutoff`` is read.
    routing : {"auto", "swap", "mpo", "lazy"}
        How gates on distant qubits are applied (see :func:`tensorbond.simulate`).
    seed : int or numpy.random.Generator, optional
        Seed of the sampler.

    Notes
    -----
    Analytic measurements: ``expval``, ``var`` (of Pauli sums, Hamiltonians,
    and Hermitian matrices or other operators on up to 10 wires), ``probs``,
    ``state``, ``density_matrix``, ``purity``, ``vn_entropy``, ``mutual_info``
    (the last five from reduced density matrices, so on few wires). With shots:
    ``sample``, ``counts``, ``expval``, ``var``, ``probs``. Derivatives:
    ``diff_method="adjoint"`` or ``"best"`` for expectation values without
    shots; other methods (``"parameter-shift"``) run through PennyLane.

    Examples
    --------
    >>> import pennylane as qml
    >>> dev = qml.device("tensorbond.mps", wires=2)
    >>> @qml.qnode(dev)
    ... def bell():
    ...     qml.Hadamard(0)
    ...     qml.CNOT([0, 1])
    ...     return qml.expval(qml.Z(0) @ qml.Z(1))
    >>> float(bell())
    1.0
    """

    _device_options: tuple[str, ...] = ()

    def __init__(
        self,
        wires: Any = None,
        shots: Any = None,
        *,
        max_bond: int | None = None,
        cutoff: float = SIMULATION_CUTOFF,
        cutoff_mode: str = "rsum2",
        routing: str = "auto",
        seed: int | np.random.Generator | None = None,
    ) -> None:
        super().__init__(wires=wires, shots=shots)
        self._max_bond = as_optional_bond(max_bond)
        self._cutoff = as_tolerance(cutoff, "cutoff")
        if cutoff_mode not in ("rsum2", "sum2", "rel", "abs"):
            raise ValueError(
                f"cutoff_mode must be 'rsum2', 'sum2', 'rel' or 'abs', got {cutoff_mode!r}"
            )
        if routing not in ("auto", "swap", "mpo", "lazy"):
            raise ValueError(f"routing must be 'auto', 'swap', 'mpo' or 'lazy', got {routing!r}")
        self._cutoff_mode = cutoff_mode
        self._routing = routing
        self._rng = as_generator(seed)

    @property
    def name(self) -> str:
        """``"tensorbond.mps"``."""
        return "tensorbond.mps"

    @property
    def max_bond(self) -> int | None:
        """The state's bond limit (``None``: exact)."""
        return self._max_bond

    @property
    def cutoff(self) -> float:
        """The singular value cutoff."""
        return self._cutoff

    def _options(self) -> dict[str, Any]:
        return {
            "max_bond": self._max_bond,
            "cutoff": self._cutoff,
            "cutoff_mode": self._cutoff_mode,
            "routing": self._routing,
        }

    # ------------------------------------------------------------ configuration
    def setup_execution_config(
        self, config: ExecutionConfig | None = None, circuit: Any = None
    ) -> ExecutionConfig:
        """Fill in the configuration: ``"best"`` becomes ``"adjoint"``, derivatives
        come from the device with the forward pass, mid-circuit measurements are
        deferred.

        Raises
        ------
        DeviceError
            An unknown device option or a mid-circuit measurement method other
            than ``"deferred"``.
        """
        config = config or ExecutionConfig()
        for option in config.device_options:
            if option not in self._device_options:
                raise DeviceError(f"device option {option} not present on {self}")
        updated: dict[str, Any] = {}
        method = config.gradient_method
        if method == "best":
            method = "adjoint"
            updated["gradient_method"] = method
        if config.use_device_gradient is None:
            updated["use_device_gradient"] = method in ("adjoint", "device")
        if config.use_device_jacobian_product is None:
            updated["use_device_jacobian_product"] = False
        if config.grad_on_execution is None:
            updated["grad_on_execution"] = method in ("adjoint", "device")
        mcm = config.mcm_config
        if mcm.mcm_method not in (None, "deferred"):
            raise DeviceError(
                f"mcm_method {mcm.mcm_method!r} is not supported on tensorbond.mps; "
                "mid-circuit measurements are deferred (mcm_method='deferred')"
            )
        updated["mcm_config"] = replace(mcm, mcm_method="deferred")
        return replace(config, **updated)

    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None) -> Any:
        """The transforms that bring a tape to what :meth:`execute` runs: wires
        checked, mid-circuit measurements deferred, measurements with shots
        diagonalized, operations decomposed to the supported gates, parameter
        broadcasting expanded; for ``"adjoint"``, expectation values only.

        Returns
        -------
        pennylane.CompilePipeline
        """
        config = execution_config or ExecutionConfig()
        program = CompilePipeline()
        program.add_transform(validate_device_wires, self.wires, name=self.name)
        program.add_transform(defer_measurements, allow_postselect=False)
        program.add_transform(prepare_sampling)
        program.add_transform(
            decompose,
            stopping_condition=supports_operation,
            skip_initial_state_prep=False,
            device_wires=self.wires,
            name=self.name,
        )
        program.add_transform(
            validate_measurements, analytic_measurements=_analytic_measurement, name=self.name
        )
        program.add_transform(validate_observables, _observable_supported, name=self.name)
        program.add_transform(broadcast_expand)
        if config.gradient_method in ("adjoint", "device"):
            _add_adjoint_transforms(program, self.name)
        return program

    def supports_derivatives(
        self, execution_config: ExecutionConfig | None = None, circuit: Any = None
    ) -> bool:
        """Adjoint derivatives of expectation values without shots.

        Parameters
        ----------
        execution_config : ExecutionConfig, optional
            Its ``gradient_method`` must be ``"adjoint"``, ``"best"`` or ``"device"``.
        circuit : QuantumScript, optional
            When given, it must have no shots and measure expectation values only.

        Returns
        -------
        bool
        """
        if execution_config is None:
            return True
        if execution_config.gradient_method not in ("adjoint", "best", "device"):
            return False
        if execution_config.derivative_order > 1:
            return False
        if circuit is None:
            return True
        program = CompilePipeline()
        program.add_transform(validate_device_wires, self.wires, name=self.name)
        _add_adjoint_transforms(program, self.name)
        try:
            program((circuit,))
        except (DeviceError, qml.exceptions.DecompositionUndefinedError, AttributeError):
            return False
        return True

    # --------------------------------------------------------------- execution
    def _layout(self, tape: Any) -> tuple[Wires, dict[Any, int], int]:
        order = self.wires if self.wires is not None else tape.wires
        wire_map = {w: i for i, w in enumerate(order)}
        return Wires(order), wire_map, max(1, len(order))

    def _simulate(self, tape: Any) -> tuple[MPS, Wires, dict[Any, int], int]:
        order, wire_map, n = self._layout(tape)
        conv = tape_to_circuit(tape, wire_map, n)
        return simulate(conv.circuit, **self._options()), order, wire_map, n

    def execute(
        self, circuits: Sequence[Any], execution_config: ExecutionConfig | None = None
    ) -> tuple[Any, ...]:
        """Run each tape: analytic results from the final MPS, or samples of it.

        Parameters
        ----------
        circuits : sequence of QuantumScript
            Preprocessed tapes.
        execution_config : ExecutionConfig, optional
            Unused beyond validation.

        Returns
        -------
        tuple
            One result per tape, in PennyLane's layout.
        """
        return tuple(self._execute_one(tape) for tape in circuits)

    def _execute_one(self, tape: Any) -> Any:
        state, order, wire_map, n = self._simulate(tape)
        if tape.shots:
            return self._sampled(tape, state, order)
        results = tuple(_measure(mp, state, order, wire_map, n) for mp in tape.measurements)
        return results[0] if len(results) == 1 else results

    def _sampled(self, tape: Any, state: MPS, order: Wires) -> Any:
        total = tape.shots.total_shots
        samples = np.asarray(state.sample(total, seed=self._rng).bits, dtype=np.int64)
        if len(order) == 0:
            samples = samples[:, :0]
        out = []
        for lo, hi in tape.shots.bins():
            chunk = samples[lo:hi]
            res = tuple(mp.process_samples(chunk, wire_order=order) for mp in tape.measurements)
            out.append(res[0] if len(res) == 1 else res)
        return tuple(out) if tape.shots.has_partitioned_shots else out[0]

    # ------------------------------------------------------------- derivatives
    def compute_derivatives(
        self, circuits: Sequence[Any], execution_config: ExecutionConfig | None = None
    ) -> tuple[Any, ...]:
        """Jacobians of the tapes' expectation values by the adjoint method
        (:func:`tensorbond.gradient`), one per tape, in PennyLane's layout."""
        return tuple(self._value_and_jacobian(tape)[1] for tape in circuits)

    def execute_and_compute_derivatives(
        self, circuits: Sequence[Any], execution_config: ExecutionConfig | None = None
    ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """Results and jacobians together (each gradient run also gives the value)."""
        both = [self._value_and_jacobian(tape) for tape in circuits]
        return tuple(r for r, _ in both), tuple(j for _, j in both)

    def _value_and_jacobian(self, tape: Any) -> tuple[Any, Any]:
        _, wire_map, n = self._layout(tape)
        for mp in tape.measurements:
            if not isinstance(mp, ExpectationMP) or mp.obs is None:
                raise DeviceError(
                    "adjoint derivatives on tensorbond.mps support expectation values of "
                    f"observables only, got {mp}"
                )
        conv = tape_to_circuit(tape, wire_map, n, symbolic=True)
        circ = conv.circuit
        num = len(conv.parameters)
        cols = conv.columns()
        prog = compile_circuit(circ)
        state: MPS | None = None
        values = []
        jac = np.zeros((len(tape.measurements), num))
        for i, mp in enumerate(tape.measurements):
            op = to_operator(mp.obs, wire_map, n)
            if op.op is None or not circ.parameters:
                if state is None:
                    point = conv.values[cols] if circ.parameters else None
                    state = simulate(prog, params=point, **self._options())
                values.append(_value(op, state))
                continue
            if not op.hermitian:
                raise DeviceError(f"adjoint derivatives need a Hermitian observable, got {mp.obs}")
            res = gradient(prog, op.op, conv.values[cols], method="adjoint", **self._options())
            values.append(float(op.constant.real) + float(res.value))
            jac[i, cols] = res.grad
        result = values[0] if len(values) == 1 else tuple(values)
        return result, _squeeze_jacobian(jac)


def _add_adjoint_transforms(program: Any, name: str) -> None:
    label = f"adjoint + {name}"
    program.add_transform(no_sampling, name=label)
    program.add_transform(
        decompose,
        stopping_condition=supports_operation,
        skip_initial_state_prep=False,
        name=label,
    )
    program.add_transform(validate_observables, _observable_supported, name=label)
    program.add_transform(validate_measurements, analytic_measurements=_expval_only, name=label)
    program.add_transform(broadcast_expand)
    program.add_transform(validate_adjoint_trainable_params)


# ------------------------------------------------------------- measurements
def _value(op: Operator, state: MPS) -> Any:
    total = op.constant
    if op.op is not None:
        (obs,), _ = as_observables(op.op, state.num_qubits)
        total += obs.value(state)
    if op.hermitian and abs(complex(total).imag) <= 1e-12 * max(1.0, abs(total)):
        return float(complex(total).real)
    return complex(total)


def _qubits(wires: Wires, wire_map: dict[Any, int], what: str) -> list[int]:
    try:
        return [wire_map[w] for w in wires]
    except KeyError as exc:
        raise DeviceError(f"{what} on wire {exc.args[0]!r}, not among the device's wires") from None


def _rdm(state: MPS, qubits: list[int], what: str) -> np.ndarray:
    if len(qubits) > _MAX_RDM_WIRES + 2:
        raise DeviceError(
            f"{what} on {len(qubits)} wires: tensorbond.mps reads it from a reduced density "
            f"matrix, at most {_MAX_RDM_WIRES + 2} wires"
        )
    return state.reduced_density_matrix(qubits)


def _probabilities(mp: Any, state: MPS, order: Wires, wire_map: dict[Any, int]) -> np.ndarray:
    wires = mp.wires if len(mp.wires) else order
    qubits = _qubits(wires, wire_map, "probs")
    k = len(qubits)
    if mp.obs is None and k > _MAX_RDM_WIRES and state.num_qubits <= _MAX_DENSE_WIRES:
        psi = state.to_dense()
        p = (psi.real**2 + psi.imag**2).reshape((2,) * state.num_qubits)
        rest = tuple(q for q in range(state.num_qubits) if q not in qubits)
        kept = sorted(qubits)
        marg = p.sum(axis=rest).transpose([kept.index(q) for q in qubits])
        flat = marg.reshape(-1)
        return np.asarray(flat / flat.sum())
    if k > _MAX_RDM_WIRES:
        raise DeviceError(
            f"probs on {k} wires of a {state.num_qubits}-qubit state: tensorbond.mps gives "
            f"marginals on at most {_MAX_RDM_WIRES} wires (or all wires up to "
            f"{_MAX_DENSE_WIRES} qubits); sample instead"
        )
    rho = state.reduced_density_matrix(qubits)
    if mp.obs is not None:
        gates = mp.obs.diagonalizing_gates()
        if gates:
            u = qml.matrix(qml.prod(*reversed(gates)), wire_order=wires)
            rho = u @ rho @ u.conj().T
    p = np.clip(np.real(np.diag(rho)), 0.0, None)
    return np.asarray(p / p.sum())


def _measure(mp: Any, state: MPS, order: Wires, wire_map: dict[Any, int], n: int) -> Any:
    if isinstance(mp, ExpectationMP):
        if mp.obs is None:
            raise DeviceError(f"tensorbond.mps cannot evaluate {mp}: no observable")
        return _value(to_operator(mp.obs, wire_map, n), state)
    if isinstance(mp, VarianceMP):
        if mp.obs is None:
            raise DeviceError(f"tensorbond.mps cannot evaluate {mp}: no observable")
        op = to_operator(mp.obs, wire_map, n)
        return 0.0 if op.op is None else float(state.variance(op.op))
    if isinstance(mp, ProbabilityMP):
        return _probabilities(mp, state, order, wire_map)
    if isinstance(mp, DensityMatrixMP):
        qubits = _qubits(mp.wires, wire_map, "density_matrix")
        return _rdm(state, qubits, "density_matrix")
    if isinstance(mp, StateMP):
        if len(mp.wires) and list(mp.wires) != list(order):
            raise DeviceError("tensorbond.mps returns the state on all of its wires only")
        psi = state.to_dense()
        return psi / math.sqrt(float(np.vdot(psi, psi).real))
    if isinstance(mp, (PurityMP, VnEntropyMP, MutualInfoMP)):
        qubits = _qubits(mp.wires, wire_map, mp.__class__.__name__)
        rho = _rdm(state, qubits, type(mp).__name__)
        return mp.process_density_matrix(rho, wire_order=Wires(mp.wires))
    raise DeviceError(f"tensorbond.mps does not support the measurement {mp}")
