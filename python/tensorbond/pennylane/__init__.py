"""PennyLane plugin: the ``tensorbond.mps`` device.

Installed with ``pip install tensorbond[pennylane]``; then
``qml.device("tensorbond.mps", wires=n, max_bond=64)`` runs a QNode on
tensorbond's matrix product state simulator.
"""

from __future__ import annotations

try:
    import pennylane  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "tensorbond.pennylane needs PennyLane: pip install 'tensorbond[pennylane]' "
        "(or pip install pennylane==0.45.*)"
    ) from exc

from .device import MPSDevice

__all__ = ["MPSDevice"]
