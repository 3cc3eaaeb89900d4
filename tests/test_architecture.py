"""The package's import layers (ARCHITECTURE.md): imports point down, modules
do not import each other's private names or reach into each other's objects.

Every import counts, including those inside functions (a cycle dodged by a
late import is still a cycle); only ``if TYPE_CHECKING:`` blocks are exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from _reference.paths import PACKAGE

ROOT = PACKAGE

#: Bottom to top. A module may import modules of lower layers only; modules of
#: one layer are independent of each other. A new module goes into this list
#: (and ARCHITECTURE.md) or the test fails.
LAYERS: list[set[str]] = [
    # foundation: no tensorbond imports but the compiled core
    {"_core", "_optional", "memory", "_validate"},
    {"errors", "truncation"},
    {"linalg", "parallel"},
    # the data every layer speaks
    {"ir.gates", "ir.pauli", "ir.parameters"},
    {"ir.operations"},
    {"ir"},
    # formats: foreign text and objects to and from that data
    {"qasm._limits", "interop.quimb"},
    {"qasm.qasm2", "qasm.qasm3", "interop.qiskit"},
    {"qasm", "interop"},
    # simulation
    {"sim.gate_methods"},
    {"sim.circuit", "sim.pauli_mpo", "sim.noise"},
    {"sim.observables", "sim.examples"},
    {"sim.mps"},
    {"sim.compile"},
    {"sim.simulate", "sim.dense"},
    {"sim.run", "sim.expectation"},
    {"sim.gradient"},
    {"sim"},
    # compression (independent of simulation)
    {"compress.tt"},
    {"compress.formats"},
    {"compress.budget"},
    {"compress.report", "compress.layers", "compress.heal"},
    {"compress.io"},
    {"compress.arrays"},
    {"compress.torch"},
    {"compress"},
    # frameworks on top of both: torch layers, qiskit primitives, PennyLane device
    {"torch", "pennylane.convert", "qiskit.convert", "qiskit.options", "qiskit.job"},
    {"pennylane.device", "qiskit.estimator", "qiskit.sampler"},
    {"qiskit.backend"},
    {"pennylane", "qiskit"},
    # the public face and the command line
    {"tensorbond"},
    {"compress.examples"},
    {"cli"},
    {"__main__"},
]

#: Private attributes one module may use on another's objects, and why.
ALLOWED_PRIVATE_ATTRIBUTES = {
    ("sim/compile.py", "_impl"),  # the engine's verbs: the one door to the compiled state
    ("sim/mps.py", "_impl"),
    ("sim/dense.py", "_impl"),  # DenseState wraps its own compiled state vector
    ("sim/dense.py", "_wrap"),  # MPS wraps its own compiled object (MPS._wrap, copies)
    ("sim/mps.py", "_wrap"),
    ("sim/compile.py", "_slots"),  # CompiledCircuit.inverse builds one of its own class
    ("sim/compile.py", "_plan_bind"),
    ("sim/circuit.py", "_ops"),  # Circuit builds circuits of its own class
    ("sim/circuit.py", "_check_operation"),
    ("compress/tt.py", "_impl"),  # TTMatrix / LowRank wrap their compiled objects
    ("compress/tt.py", "_wrap"),
    ("compress/tt.py", "_cast"),
    ("compress/layers.py", "_modules"),
    ("ir/parameters.py", "_terms"),  # arithmetic of two expressions of its own class
    ("ir/parameters.py", "_constant"),
    ("ir/parameters.py", "_key"),
    ("ir/parameters.py", "_uid"),  # Parameter equality: the other parameter's identity
    ("sim/circuit.py", "_note_parameters"),  # torch's nn.Module registry (torch's API)
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "tensorbond"


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
KNOWN = set(MODULES) | {"_core"}


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return skip


def _imports(name: str, path: Path) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every tensorbond import."""
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_blocks(tree)
    parts = [] if name == "tensorbond" else name.split(".")
    package = parts if path.name == "__init__.py" else parts[:-1]
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and (
                node.module == "tensorbond" or node.module.startswith("tensorbond.")
            ):
                target = node.module.removeprefix("tensorbond").lstrip(".")
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                if sub in KNOWN:
                    found.append((sub, "", node.lineno))
                else:
                    found.append((target or "tensorbond", alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "tensorbond" or alias.name.startswith("tensorbond."):
                    found.append(
                        (
                            alias.name.removeprefix("tensorbond").lstrip(".") or "tensorbond",
                            "",
                            node.lineno,
                        )
                    )
    return found


def _layer_of(name: str) -> int:
    for i, layer in enumerate(LAYERS):
        if name in layer:
            return i
    raise AssertionError(
        f"module {name!r} is in no layer: add it to LAYERS in "
        "tests/test_architecture.py and to ARCHITECTURE.md"
    )


def test_every_module_has_a_layer() -> None:
    listed = set().union(*LAYERS)
    assert sorted(KNOWN - listed) == []
    assert sorted(listed - KNOWN) == [], "LAYERS names modules that do not exist"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name: str) -> None:
    here = _layer_of(name)
    for target, _, line in _imports(name, MODULES[name]):
        if target == name:
            continue
        there = _layer_of(target)
        assert there < here, (
            f"{MODULES[name].relative_to(ROOT)}:{line} imports {target} "
            f"(layer {there}) from layer {here}: imports point down the layers only"
        )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_names_from_other_modules(name: str) -> None:
    for target, imported, line in _imports(name, MODULES[name]):
        assert not (imported.startswith("_") and not imported.startswith("__")), (
            f"{MODULES[name].relative_to(ROOT)}:{line} imports {imported} from {target}: "
            "give it a public name in the module that owns it"
        )


def test_no_reaching_into_other_objects() -> None:
    found = []
    for path in MODULES.values():
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                and (rel, node.attr) not in ALLOWED_PRIVATE_ATTRIBUTES
            ):
                found.append(f"{rel}:{node.lineno} .{node.attr}")
    assert found == []


def test_the_checker_sees_a_late_upward_import(tmp_path: Path) -> None:
    # The checks above could pass vacuously if imports inside functions were missed.
    src = tmp_path / "probe.py"
    src.write_text("def f():\n    from ..sim.mps import _MAX\n    return _MAX\n")
    found = _imports("ir.probe", src)
    assert found == [("sim.mps", "_MAX", 2)]
    assert _layer_of("sim.mps") > _layer_of("ir.gates")
