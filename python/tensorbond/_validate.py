"""Argument coercion shared by the public API: one place for the rules.

Each helper takes the value and the argument's name, returns the value in the
form the compiled core wants, and raises ``TypeError`` (wrong kind of value) or
``ValueError`` (right kind, impossible value) with a message that names the
argument and shows the value. Integers are read with :func:`operator.index`, so
numpy integers (``numpy.int64``...) are accepted wherever ``int`` is; ``bool``
is refused, although it is an ``int``, because ``shots=True`` is a mistake.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

__all__ = [
    "MAX_BOND_LIMIT",
    "as_count",
    "as_generator",
    "as_optional_bond",
    "as_seed",
    "as_state_dtype",
    "as_tolerance",
]

#: Bond dimensions at or above this are "unlimited": no state or matrix can
#: reach them, and the core's ``long long max_bond`` holds them.
MAX_BOND_LIMIT = 2**62


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_count(value: Any, name: str, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer argument as a Python ``int``, range-checked.

    Parameters
    ----------
    value : int or numpy integer
        The argument as given.
    name : str
        The argument's name, for messages.
    minimum : int
        Smallest value allowed.
    maximum : int, optional
        Largest value allowed; ``None`` for no bound.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        ``value`` is a bool or not an integer (a float, a string...).
    ValueError
        ``value`` lies outside ``[minimum, maximum]``.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got bool {value!r}")
    try:
        out = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an int, got {type(value).__name__} {_shown(value)}"
        ) from None
    if out < minimum:
        bound = "non-negative" if minimum == 0 else f"at least {minimum}"
        raise ValueError(f"{name} must be {bound}, got {out}")
    if maximum is not None and out > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {out}")
    return out


def as_optional_bond(value: Any, name: str = "max_bond") -> int | None:
    """A bond-dimension bound: ``None`` (no limit) or an int ``>= 1``.

    Values at or above :data:`MAX_BOND_LIMIT` (``2**62``) bound nothing a
    computer can hold; they are returned as ``MAX_BOND_LIMIT`` so that the
    compiled core (a signed 64-bit ``max_bond``) receives them.

    Parameters
    ----------
    value : int, numpy integer or None
        The argument as given.
    name : str
        The argument's name, for messages.

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        Not an int (a float, a bool, a string...) and not None.
    ValueError
        An int below 1.
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or None, got bool {value!r}")
    try:
        out = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an int or None, got {type(value).__name__} {_shown(value)}"
        ) from None
    if out < 1:
        raise ValueError(f"{name} must be >= 1 or None, got {out}")
    return min(out, MAX_BOND_LIMIT)


def as_tolerance(value: Any, name: str) -> float:
    """A tolerance or cutoff: a finite real number ``>= 0``, as a float.

    Parameters
    ----------
    value : float, int or numpy real
        The argument as given.
    name : str
        The argument's name, for messages.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        Not a real number (a string, a complex number, a bool...).
    ValueError
        Negative, NaN or infinite.
    """
    bad = TypeError(f"{name} must be a real number, got {type(value).__name__} {_shown(value)}")
    if isinstance(value, (str, bytes, bool, np.bool_, complex, np.complexfloating)):
        raise bad
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise bad from None
    if not math.isfinite(out) or out < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return out


def _check_seed(seed: Any, name: str) -> int | np.random.Generator | None:
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, a numpy Generator or None, got {seed!r}")
    try:
        out = operator.index(seed)
    except TypeError:
        raise TypeError(
            f"{name} must be an int, a numpy Generator or None, got "
            f"{type(seed).__name__} {_shown(seed)}"
        ) from None
    if out < 0:
        raise ValueError(f"{name} must be non-negative, got {out}")
    return out


def as_seed(seed: Any, name: str = "seed") -> int:
    """The 63-bit seed the compiled samplers take, from ``seed``.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None
        An int seeds deterministically (through :class:`numpy.random.SeedSequence`);
        a Generator is advanced by one draw; None draws fresh entropy.
    name : str
        The argument's name, for messages.

    Returns
    -------
    int
        In ``[0, 2**63)``.

    Raises
    ------
    TypeError
        Not an int, a Generator or None (a float, a bool...).
    ValueError
        A negative int.
    """
    s = _check_seed(seed, name)
    if isinstance(s, np.random.Generator):
        return int(s.integers(0, 2**63))
    if s is None:
        return int(np.random.default_rng().integers(0, 2**63))
    return int(np.random.SeedSequence(s).generate_state(1, np.uint64)[0] >> 1)


def as_generator(seed: Any, name: str = "seed") -> np.random.Generator:
    """A :class:`numpy.random.Generator` from ``seed`` (int, Generator or None).

    A Generator is returned as it is (draws advance it); an int or None goes to
    :func:`numpy.random.default_rng`.

    Raises
    ------
    TypeError
        Not an int, a Generator or None.
    ValueError
        A negative int.
    """
    s = _check_seed(seed, name)
    if isinstance(s, np.random.Generator):
        return s
    return np.random.default_rng(s)


def as_state_dtype(dtype: Any) -> np.dtype:
    """The scalar type of a state: complex64 or complex128.

    Raises
    ------
    TypeError
        Anything else, naming it.
    """
    try:
        dt: np.dtype = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be complex64 or complex128, got {dtype!r}") from exc
    if dt not in (np.dtype(np.complex64), np.dtype(np.complex128)):
        raise TypeError(f"dtype must be complex64 or complex128, got {dt}")
    return dt
