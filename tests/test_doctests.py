"""The examples in the package's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

from _reference.paths import PACKAGE

_SKIP = {"tensorbond.__main__"}  # runs the command line on import


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        if name not in _SKIP and ">>>" in path.read_text():
            names.append(name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
