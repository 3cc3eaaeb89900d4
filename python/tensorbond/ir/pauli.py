"""Pauli strings and weighted sums of them, as users write them.

``"X0 Z3 Y7"``, ``"X0*Z3"`` or ``{0: "X", 3: "Z"}`` for one string; a list of
``(coefficient, string)`` pairs or a dict ``{string: coefficient}`` for a sum.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["PAULI", "PauliTerm", "parse_pauli_sum", "parse_term"]

#: The Pauli matrices, complex128.
PAULI = {
    "I": np.eye(2, dtype=np.complex128),
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}
_TERM_RE = re.compile(r"([IXYZixyz])\s*(\d+)")

#: A Pauli string: ``"X0 Z3 Y7"`` (also ``"X0*Z3"``) or ``{0: "X", 3: "Z"}``.
PauliTerm = str | Mapping[int, str]


def parse_term(term: PauliTerm) -> dict[int, str]:
    """``{qubit: "X" | "Y" | "Z"}`` of one Pauli string (identities dropped).

    Raises
    ------
    ValueError
        Unreadable text, a qubit named twice, an unknown Pauli letter.
    TypeError
        Neither a str nor a mapping, or a key that is not an int.
    """
    out: dict[int, str] = {}
    if isinstance(term, str):
        text = term.replace("*", " ").strip()
        pos = 0
        for m in _TERM_RE.finditer(text):
            if text[pos : m.start()].strip():
                raise ValueError(f"cannot read Pauli string {term!r} at {text[pos:]!r}")
            pos = m.end()
            q, p = int(m.group(2)), m.group(1).upper()
            if q in out:
                raise ValueError(f"qubit {q} appears twice in Pauli string {term!r}")
            out[q] = p
        if text[pos:].strip():
            raise ValueError(f"cannot read Pauli string {term!r} at {text[pos:]!r}")
    elif isinstance(term, Mapping):
        for q, p in term.items():
            if isinstance(q, bool) or not isinstance(q, (int, np.integer)):
                raise TypeError(f"Pauli string keys must be qubit ints, got {q!r}")
            if not isinstance(p, str) or p.upper() not in PAULI:
                raise ValueError(f"unknown Pauli {p!r} on qubit {q} (expected I, X, Y, Z)")
            out[int(q)] = p.upper()
    else:
        raise TypeError(f"a Pauli string is a str or a dict, got {type(term).__name__}")
    return {q: p for q, p in out.items() if p != "I"}


def parse_pauli_sum(op: Any) -> list[tuple[complex, dict[int, str]]]:
    """``[(coefficient, {qubit: pauli}), ...]`` of a string, a dict
    ``{string: coefficient}`` or a list of ``(coefficient, string)`` pairs.

    Coefficients are floats where real, complex otherwise.

    Raises
    ------
    TypeError
        A malformed term or coefficient.
    ValueError
        A coefficient that is not finite, or a malformed Pauli string.
    """
    if isinstance(op, str):
        return [(1.0, parse_term(op))]
    if isinstance(op, Mapping):
        if all(isinstance(k, str) for k in op):
            return [
                (complex(c) if np.iscomplexobj(c) else float(c), parse_term(t))
                for t, c in op.items()
            ]
        return [(1.0, parse_term(op))]
    if isinstance(op, Sequence):
        out = []
        for item in op:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError("a Pauli sum is a list of (coefficient, string) pairs")
            c, t = item
            if isinstance(c, bool) or not isinstance(c, (int, float, complex, np.number)):
                raise TypeError(f"a Pauli sum term is (coefficient, string); got coefficient {c!r}")
            if not np.isfinite(c):
                raise ValueError(f"coefficient {c!r} is not finite")
            out.append((complex(c) if np.iscomplexobj(c) else float(c), parse_term(t)))
        return out
    raise TypeError(f"cannot read an operator from {type(op).__name__}")
