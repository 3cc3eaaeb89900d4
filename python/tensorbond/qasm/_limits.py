"""Limits shared by the OpenQASM 2 and 3 readers."""

from __future__ import annotations

__all__ = ["MAX_OPERATIONS", "MAX_REGISTER_SIZE"]

#: Largest register a program may declare.
MAX_REGISTER_SIZE = 1 << 20
#: Largest number of operations gate expansion and register broadcasting may
#: bring a program to (guards against definitions that nest to an exponential
#: number of gates). About 3 s and 1.2 GB of expansion where every operation
#: differs (20 nested definitions with parameters: ~3 million operations/s),
#: much less where the same calls repeat (their expansions are shared).
MAX_OPERATIONS = 10_000_000
