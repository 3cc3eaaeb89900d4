"""Exception types raised by tensorbond.

- ``ValueError`` / ``TypeError``: bad arguments (shapes, dtypes, NaN/inf, options);
  messages name the argument and the numbers.
- ``IndexError``: a qubit, site or bond outside the state.
- :class:`LinAlgError` (an ``ArithmeticError``): a factorization failed (both
  gesdd and gesvd).
- :class:`QasmError` (a ``ValueError``): malformed OpenQASM, with file, line and
  column.
- :class:`NotImplementedError` (the builtin's subclass): a feature this version
  does not simulate, named in the message.
"""

from __future__ import annotations

from ._core import LinAlgError, NotImplementedError

__all__ = ["LinAlgError", "NotImplementedError", "QasmError"]


class QasmError(ValueError):
    """An OpenQASM program that cannot be read.

    Attributes
    ----------
    filename : str
        The file name, or ``"<string>"`` for text.
    line, column : int
        1-based position of the offending token.
    reason : str
        The message without the position prefix.
    """

    def __init__(
        self, message: str, filename: str = "<string>", line: int = 0, column: int = 0
    ) -> None:
        self.filename = filename
        self.line = line
        self.column = column
        self.reason = message
        super().__init__(f"{filename}:{line}:{column}: {message}")
