"""Symbolic gate parameters: :class:`Parameter`, affine expressions of them, and
:class:`ParameterVector`.

A parametrized circuit holds these in its operations' ``params`` until
:meth:`tensorbond.Circuit.bind` replaces them by numbers. Expressions are affine
(``2 * theta + 0.1``, ``a - b``): what variational circuits use, and what keeps
gradients a chain rule of constant coefficients. A product of two parameters is
refused where it is written.
"""

from __future__ import annotations

import itertools
import math
import numbers
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

__all__ = [
    "Parameter",
    "ParameterExpression",
    "ParameterValue",
    "ParameterVector",
    "check_real",
    "is_symbolic",
    "parameters_of",
]

_ids = itertools.count()


def _as_real(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {value!r}")
    return float(value)


class ParameterExpression:
    """``sum_k c_k p_k + c_0``: an affine function of parameters.

    Parameters
    ----------
    terms : mapping of Parameter to float
        Coefficient of each parameter (zeros are dropped).
    constant : float
        The constant term.
    """

    __slots__ = ("_constant", "_terms")

    def __init__(self, terms: Mapping[Parameter, float], constant: float = 0.0) -> None:
        self._terms = {p: float(c) for p, c in terms.items() if c != 0.0}
        self._constant = float(constant)

    # ------------------------------------------------------------ inspection
    @property
    def parameters(self) -> frozenset[Parameter]:
        """The parameters the expression depends on."""
        return frozenset(self._terms)

    @property
    def terms(self) -> dict[Parameter, float]:
        """``{parameter: coefficient}`` (a copy)."""
        return dict(self._terms)

    @property
    def constant(self) -> float:
        """The constant term."""
        return self._constant

    def coefficient(self, p: Parameter) -> float:
        """``d expr / d p`` (0 for a parameter it does not use)."""
        return self._terms.get(p, 0.0)

    # --------------------------------------------------------------- binding
    def bind(self, values: Mapping[Parameter, float]) -> float | ParameterExpression:
        """Substitute ``values``; a float once every parameter has one.

        Parameters
        ----------
        values : mapping of Parameter to float
            Values for some or all of the parameters (others stay symbolic).

        Returns
        -------
        float or ParameterExpression
        """
        const = self._constant
        left: dict[Parameter, float] = {}
        for p, c in self._terms.items():
            if p in values:
                const += c * float(values[p])
            else:
                left[p] = c
        return ParameterExpression(left, const) if left else const

    def __float__(self) -> float:
        if self._terms:
            names = ", ".join(sorted(p.name for p in self._terms))
            raise TypeError(f"parameter expression {self} has unbound parameters: {names}")
        return self._constant

    # ------------------------------------------------------------ arithmetic
    @staticmethod
    def _of(x: Any) -> ParameterExpression | None:
        if isinstance(x, ParameterExpression):
            return x
        if isinstance(x, Parameter):
            return ParameterExpression({x: 1.0})
        if isinstance(x, numbers.Real) and not isinstance(x, bool):
            if not math.isfinite(float(x)):
                raise ValueError(f"a parameter expression needs finite numbers, got {x!r}")
            return ParameterExpression({}, float(x))
        return None

    def __add__(self, other: Any) -> ParameterExpression:
        o = self._of(other)
        if o is None:
            return NotImplemented
        terms = dict(self._terms)
        for p, c in o._terms.items():
            terms[p] = terms.get(p, 0.0) + c
        return ParameterExpression(terms, self._constant + o._constant)

    __radd__ = __add__

    def __neg__(self) -> ParameterExpression:
        return ParameterExpression({p: -c for p, c in self._terms.items()}, -self._constant)

    def __sub__(self, other: Any) -> ParameterExpression:
        o = self._of(other)
        if o is None:
            return NotImplemented
        return self + (-o)

    def __rsub__(self, other: Any) -> ParameterExpression:
        o = self._of(other)
        if o is None:
            return NotImplemented
        return o + (-self)

    def __mul__(self, other: Any) -> ParameterExpression:
        o = self._of(other)
        if o is None:
            return NotImplemented
        if self._terms and o._terms:
            raise TypeError(
                f"({self}) * ({o}) is not affine: tensorbond's parameter expressions are "
                "sums of parameters times numbers"
            )
        k, e = (o._constant, self) if not o._terms else (self._constant, o)
        return ParameterExpression({p: k * c for p, c in e._terms.items()}, k * e._constant)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> ParameterExpression:
        o = self._of(other)
        if o is None:
            return NotImplemented
        if o._terms:
            raise TypeError(f"({self}) / ({o}) is not affine: divide by numbers only")
        if o._constant == 0.0:
            raise ZeroDivisionError(f"({self}) / 0")
        return self * (1.0 / o._constant)

    def __rtruediv__(self, other: Any) -> ParameterExpression:
        if self._terms:
            raise TypeError(f"{other!r} / ({self}) is not affine: divide by numbers only")
        o = self._of(other)
        if o is None:
            return NotImplemented
        return o / self._constant

    # ----------------------------------------------------------- comparison
    def _key(self) -> tuple[Any, ...]:
        return (frozenset(self._terms.items()), self._constant)

    def __eq__(self, other: object) -> bool:
        o = self._of(other)
        return o is not None and self._key() == o._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        parts = []
        for p, c in sorted(self._terms.items(), key=lambda pc: pc[0].sort_key):
            coef = "" if c == 1.0 else "-" if c == -1.0 else f"{c:g}*"
            parts.append(f"{coef}{p.name}")
        if self._constant or not parts:
            parts.append(f"{self._constant:g}")
        return " + ".join(parts).replace("+ -", "- ")


class Parameter:
    """A named symbolic gate parameter.

    Two parameters are the same only if one was made as a copy of the other (as in
    qiskit): ``Parameter("t") != Parameter("t")``, but a parameter that went
    through pickle (to a worker process and back) is still the same parameter.

    Parameters
    ----------
    name : str
        Its name, shown in errors and used to order ``Circuit.parameters``.
    vector, index : str and int, optional, keyword-only
        The :class:`ParameterVector` it is element ``index`` of (set by the
        vector, or by a converter keeping another library's vectors).

    Examples
    --------
    >>> import tensorbond as tb
    >>> theta = tb.Parameter("theta")
    >>> 2 * theta + 0.1
    2*theta + 0.1
    """

    __slots__ = ("_id", "_index", "_uid", "_vector", "name")

    def __init__(self, name: str, *, vector: str | None = None, index: int = -1) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"a parameter's name must be a non-empty str, got {name!r}")
        self.name = name
        self._vector = vector
        self._index = index
        self._id = next(_ids)  # creation order: ties of equal names sort by it
        self._uid = uuid.uuid4().int  # identity, across processes

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Parameter):
            return NotImplemented  # an expression compares itself with us
        return other._uid == self._uid

    def __hash__(self) -> int:
        return hash(self._uid)

    @property
    def vector(self) -> str | None:
        """The name of the :class:`ParameterVector` it belongs to, or None."""
        return self._vector

    @property
    def index(self) -> int:
        """Its index in that vector (-1 outside one)."""
        return self._index

    @property
    def sort_key(self) -> tuple[str, int, str, int]:
        """How ``Circuit.parameters`` orders parameters: by name, and the elements
        of a :class:`ParameterVector` by index (``w[2]`` before ``w[10]``)."""
        if self._vector is not None:
            return (self._vector, self._index, self.name, self._id)
        return (self.name, -1, self.name, self._id)

    @property
    def parameters(self) -> frozenset[Parameter]:
        """``{self}``, as for an expression."""
        return frozenset((self,))

    def bind(self, values: Mapping[Parameter, float]) -> float | Parameter:
        """Its value in ``values``, or itself."""
        return float(values[self]) if self in values else self

    def __float__(self) -> float:
        raise TypeError(f"parameter {self.name!r} is unbound")

    def _expr(self) -> ParameterExpression:
        return ParameterExpression({self: 1.0})

    def __add__(self, other: Any) -> ParameterExpression:
        return self._expr().__add__(other)

    def __radd__(self, other: Any) -> ParameterExpression:
        return self._expr().__add__(other)

    def __sub__(self, other: Any) -> ParameterExpression:
        return self._expr().__sub__(other)

    def __rsub__(self, other: Any) -> ParameterExpression:
        return self._expr().__rsub__(other)

    def __mul__(self, other: Any) -> ParameterExpression:
        return self._expr().__mul__(other)

    def __rmul__(self, other: Any) -> ParameterExpression:
        return self._expr().__mul__(other)

    def __truediv__(self, other: Any) -> ParameterExpression:
        return self._expr().__truediv__(other)

    def __rtruediv__(self, other: Any) -> ParameterExpression:
        return self._expr().__rtruediv__(other)

    def __neg__(self) -> ParameterExpression:
        return -self._expr()

    def __repr__(self) -> str:
        return self.name


#: A gate parameter: a number, a parameter, or an affine expression of parameters.
ParameterValue = float | Parameter | ParameterExpression


class ParameterVector(Sequence[Parameter]):
    """``length`` parameters named ``name[0]``, ``name[1]``, ...

    Parameters
    ----------
    name : str
        The vector's name.
    length : int
        How many parameters.
    """

    def __init__(self, name: str, length: int) -> None:
        if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(f"length must be an int >= 0, got {length!r}")
        self.name: str = name
        self._params: list[Parameter] = [
            Parameter(f"{name}[{i}]", vector=name, index=i) for i in range(length)
        ]

    @overload
    def __getitem__(self, i: int) -> Parameter: ...
    @overload
    def __getitem__(self, i: slice) -> list[Parameter]: ...
    def __getitem__(self, i: int | slice) -> Parameter | list[Parameter]:
        return self._params[i]

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._params)

    def __repr__(self) -> str:
        return f"ParameterVector({self.name!r}, {len(self)})"


def is_symbolic(value: Any) -> bool:
    """Whether a gate parameter still depends on a parameter."""
    return isinstance(value, (Parameter, ParameterExpression)) and bool(value.parameters)


def parameters_of(values: Sequence[Any]) -> Iterator[Parameter]:
    """The parameters used by a sequence of gate parameters."""
    for v in values:
        if isinstance(v, (Parameter, ParameterExpression)):
            yield from v.parameters


def check_real(value: Any, what: str) -> float:
    """``value`` as a finite float (for numeric gate parameters)."""
    x = _as_real(value, what)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x
