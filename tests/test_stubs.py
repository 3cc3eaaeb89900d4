"""The hand-written ``_core.pyi`` lists exactly what the compiled module has."""

from __future__ import annotations

import ast
from pathlib import Path

import tensorbond
from tensorbond import _core

STUB = Path(tensorbond.__file__).with_name("_core.pyi")


def _stub_names() -> tuple[set[str], dict[str, set[str]]]:
    tree = ast.parse(STUB.read_text())
    top: set[str] = set()
    members: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            top.add(node.name)
        elif isinstance(node, ast.ClassDef):
            top.add(node.name)
            # Methods and annotated class attributes (enum values); dunders aside,
            # as _public leaves them out of the compiled side.
            names = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id
                for n in node.body
                if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
            }
            members[node.name] = {n for n in names if not n.startswith("_")}
    return top, members


def _public(obj: object) -> set[str]:
    return {n for n in dir(obj) if not n.startswith("_")}


def test_module_level_names_match() -> None:
    top, _ = _stub_names()
    assert top == _public(_core)


def test_class_members_match() -> None:
    _, members = _stub_names()
    for cls, names in members.items():
        compiled = getattr(_core, cls)
        if issubclass(compiled, BaseException):
            continue
        assert names == _public(compiled), cls
