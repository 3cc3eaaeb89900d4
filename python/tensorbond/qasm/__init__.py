"""OpenQASM readers: text or a file to a :class:`~tensorbond.ir.operations.Program`.

:func:`parse_qasm` tells OpenQASM 3 (the common subset of :mod:`.qasm3`) from 2
and reads either; :meth:`tensorbond.Circuit.from_qasm` is the usual way in.
Errors are :class:`tensorbond.QasmError` with file, line and column.
"""

from __future__ import annotations

import os

from ..ir.operations import Program
from ._limits import MAX_OPERATIONS, MAX_REGISTER_SIZE
from .qasm2 import parse, read_qasm_source
from .qasm3 import is_qasm3, translate_with_inputs

__all__ = ["MAX_OPERATIONS", "MAX_REGISTER_SIZE", "parse_qasm", "read_qasm", "read_qasm_source"]


def parse_qasm(text: str, *, filename: str = "<string>") -> Program:
    """Parse an OpenQASM 2 or 3 program.

    Parameters
    ----------
    text : str
        The program; OpenQASM 3 is recognized by its header or syntax.
    filename : str, optional
        Name used in error messages, and where relative includes are found.

    Returns
    -------
    Program

    Raises
    ------
    tensorbond.QasmError
        Any syntax or semantic error, located.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if is_qasm3(text):
        # Rewritten line for line into OpenQASM 2 (plus one-bit conditions).
        text2, inputs = translate_with_inputs(text, filename)
        return parse(text2, filename=filename, bit_conditions=True, inputs=inputs)
    return parse(text, filename=filename)


def read_qasm(source: str | os.PathLike[str]) -> Program:
    """Parse an OpenQASM program from a file path or from its text
    (:func:`read_qasm_source` tells which)."""
    text, filename = read_qasm_source(source)
    return parse_qasm(text, filename=filename)
