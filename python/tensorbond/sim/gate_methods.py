"""The named-gate methods of :class:`~tensorbond.Circuit` (``circ.h(0).cx(0, 1)``).

Each appends one gate of :data:`tensorbond.ir.gates.GATES` through
:meth:`~tensorbond.Circuit.append` and returns the circuit, so calls chain; each
raises as ``append`` does: ``TypeError`` for a qubit that is not an int,
``IndexError`` for a qubit outside the circuit, ``ValueError`` for repeated
qubits or a non-finite angle. Angles are in radians; the first listed qubit is
the most significant bit of the gate's matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..ir.operations import Condition

__all__ = ["GateMethods"]


class GateMethods:
    """Mixin: one method per built-in gate, over ``append``."""

    __slots__ = ()

    def append(
        self,
        name: str,
        qubits: Sequence[int],
        params: Sequence[float] = (),
        *,
        condition: Condition | None = None,
    ) -> Self:  # pragma: no cover - the circuit's own append
        raise NotImplementedError

    def h(self, q: int) -> Self:
        """Hadamard.

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("h", [q])

    def x(self, q: int) -> Self:
        """Pauli X.

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("x", [q])

    def y(self, q: int) -> Self:
        """Pauli Y.

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("y", [q])

    def z(self, q: int) -> Self:
        """Pauli Z.

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("z", [q])

    def s(self, q: int) -> Self:
        """S = diag(1, i).

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("s", [q])

    def sdg(self, q: int) -> Self:
        """S dagger.

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("sdg", [q])

    def t(self, q: int) -> Self:
        """T = diag(1, e^{i pi/4}).

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("t", [q])

    def tdg(self, q: int) -> Self:
        """T dagger.

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("tdg", [q])

    def sx(self, q: int) -> Self:
        """Square root of X.

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("sx", [q])

    def sxdg(self, q: int) -> Self:
        """Inverse square root of X.

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("sxdg", [q])

    def id(self, q: int) -> Self:
        """Identity (kept as an operation).

        Parameters
        ----------
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("id", [q])

    def rx(self, theta: float, q: int) -> Self:
        """exp(-i theta X / 2).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("rx", [q], [theta])

    def ry(self, theta: float, q: int) -> Self:
        """exp(-i theta Y / 2).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("ry", [q], [theta])

    def rz(self, theta: float, q: int) -> Self:
        """exp(-i theta Z / 2) = diag(e^{-i theta/2}, e^{i theta/2}).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("rz", [q], [theta])

    def p(self, lam: float, q: int) -> Self:
        """Phase gate diag(1, e^{i lam}).

        Parameters
        ----------
        lam : float
            Phase in radians.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("p", [q], [lam])

    def u1(self, lam: float, q: int) -> Self:
        """qelib1 u1, equal to :meth:`p`.

        Parameters
        ----------
        lam : float
            Phase in radians.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("u1", [q], [lam])

    def u2(self, phi: float, lam: float, q: int) -> Self:
        """qelib1 u2(phi, lam) = u3(pi/2, phi, lam).

        Parameters
        ----------
        phi, lam : float
            Euler angles in radians.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("u2", [q], [phi, lam])

    def u3(self, theta: float, phi: float, lam: float, q: int) -> Self:
        """qelib1 u3(theta, phi, lam).

        Parameters
        ----------
        theta, phi, lam : float
            Euler angles in radians: ``e^{i (phi + lam) / 2} rz(phi) ry(theta) rz(lam)``.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("u3", [q], [theta, phi, lam])

    def u(self, theta: float, phi: float, lam: float, q: int) -> Self:
        """Alias of :meth:`u3`.

        Parameters
        ----------
        theta, phi, lam : float
            Euler angles of :meth:`u3`, in radians.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("u", [q], [theta, phi, lam])

    def r(self, theta: float, phi: float, q: int) -> Self:
        """Rotation by theta about cos(phi) X + sin(phi) Y.

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        phi : float
            Angle of the rotation axis from X towards Y, in radians.
        q : int
            The qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("r", [q], [theta, phi])

    def cx(self, control: int, target: int) -> Self:
        """Controlled X.

        Parameters
        ----------
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cx", [control, target])

    def cy(self, control: int, target: int) -> Self:
        """Controlled Y.

        Parameters
        ----------
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cy", [control, target])

    def cz(self, control: int, target: int) -> Self:
        """Controlled Z.

        Parameters
        ----------
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cz", [control, target])

    def ch(self, control: int, target: int) -> Self:
        """Controlled Hadamard.

        Parameters
        ----------
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("ch", [control, target])

    def swap(self, a: int, b: int) -> Self:
        """Swap two qubits.

        Parameters
        ----------
        a, b : int
            The two qubits (the gate is symmetric in them).

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("swap", [a, b])

    def iswap(self, a: int, b: int) -> Self:
        """iSWAP.

        Parameters
        ----------
        a, b : int
            The two qubits (the gate is symmetric in them).

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("iswap", [a, b])

    def ecr(self, a: int, b: int) -> Self:
        """Echoed cross-resonance gate.

        Parameters
        ----------
        a : int
            First qubit (the one the Z of its rzx halves acts on).
        b : int
            Second qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("ecr", [a, b])

    def cp(self, lam: float, control: int, target: int) -> Self:
        """Controlled phase diag(1, 1, 1, e^{i lam}).

        Parameters
        ----------
        lam : float
            Phase in radians.
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cp", [control, target], [lam])

    def cu1(self, lam: float, control: int, target: int) -> Self:
        """qelib1 cu1, equal to :meth:`cp`.

        Parameters
        ----------
        lam : float
            Phase in radians.
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cu1", [control, target], [lam])

    def crx(self, theta: float, control: int, target: int) -> Self:
        """Controlled rx.

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("crx", [control, target], [theta])

    def cry(self, theta: float, control: int, target: int) -> Self:
        """Controlled ry.

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cry", [control, target], [theta])

    def crz(self, theta: float, control: int, target: int) -> Self:
        """Controlled rz (not equal to cu1: rz carries a relative phase).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("crz", [control, target], [theta])

    def cu3(self, theta: float, phi: float, lam: float, control: int, target: int) -> Self:
        """Controlled u3.

        Parameters
        ----------
        theta, phi, lam : float
            Euler angles of :meth:`u3`, in radians.
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cu3", [control, target], [theta, phi, lam])

    def cu(
        self, theta: float, phi: float, lam: float, gamma: float, control: int, target: int
    ) -> Self:
        """Controlled e^{i gamma} u3(theta, phi, lam) (qiskit's CUGate).

        Parameters
        ----------
        theta, phi, lam : float
            Euler angles of :meth:`u3`, in radians.
        gamma : float
            Phase of the controlled block, in radians.
        control : int
            The control qubit.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cu", [control, target], [theta, phi, lam, gamma])

    def rxx(self, theta: float, a: int, b: int) -> Self:
        """exp(-i theta/2 X (x) X).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        a, b : int
            The two qubits (the gate is symmetric in them).

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("rxx", [a, b], [theta])

    def ryy(self, theta: float, a: int, b: int) -> Self:
        """exp(-i theta/2 Y (x) Y).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        a, b : int
            The two qubits (the gate is symmetric in them).

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("ryy", [a, b], [theta])

    def rzz(self, theta: float, a: int, b: int) -> Self:
        """exp(-i theta/2 Z (x) Z).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        a, b : int
            The two qubits (the gate is symmetric in them).

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("rzz", [a, b], [theta])

    def rzx(self, theta: float, a: int, b: int) -> Self:
        """exp(-i theta/2 Z (x) X), Z on ``a``.

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        a : int
            The qubit Z acts on.
        b : int
            The qubit X acts on.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("rzx", [a, b], [theta])

    def xx_plus_yy(self, theta: float, beta: float, a: int, b: int) -> Self:
        """exp(-i theta/4 (XX + YY)) with phase beta (qiskit's XXPlusYYGate).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        beta : float
            Phase angle in radians.
        a, b : int
            The two qubits, in qiskit's order for the gate (swapping them negates ``beta``).

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("xx_plus_yy", [a, b], [theta, beta])

    def xx_minus_yy(self, theta: float, beta: float, a: int, b: int) -> Self:
        """exp(-i theta/4 (XX - YY)) with phase beta (qiskit's XXMinusYYGate).

        Parameters
        ----------
        theta : float
            Rotation angle in radians.
        beta : float
            Phase angle in radians.
        a, b : int
            The two qubits (the gate is symmetric in them).

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("xx_minus_yy", [a, b], [theta, beta])

    def ccx(self, c1: int, c2: int, target: int) -> Self:
        """Toffoli.

        Parameters
        ----------
        c1, c2 : int
            The control qubits.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("ccx", [c1, c2, target])

    def ccz(self, c1: int, c2: int, target: int) -> Self:
        """Doubly controlled Z.

        Parameters
        ----------
        c1, c2 : int
            The control qubits.
        target : int
            The target qubit.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("ccz", [c1, c2, target])

    def cswap(self, control: int, a: int, b: int) -> Self:
        """Fredkin (controlled swap).

        Parameters
        ----------
        control : int
            The control qubit.
        a, b : int
            The two swapped qubits.

        Returns
        -------
        Circuit
            This circuit (calls chain).
        """
        return self.append("cswap", [control, a, b])
