"""OpenQASM 2.0 reader: program text to a :class:`~tensorbond.ir.operations.Program`.

The whole OpenQASM 2 language is read:

- the ``OPENQASM 2.0;`` header (optional), ``include`` (``"qelib1.inc"`` is
  built in; any other file is read relative to the including file), ``//`` and
  ``/* */`` comments;
- any number of ``qreg`` / ``creg`` declarations, numbered in declaration
  order (qubit 0 is the first qubit of the first ``qreg``);
- ``gate`` definitions with parameters, nested to any depth, expanded into
  the built-in gates of :data:`tensorbond.gates.GATES` when applied;
  ``opaque`` declarations (applying an opaque gate that is not built in is an
  error, since it has no definition, except ``delay``, and the ``delay_<n>``
  that ``qiskit.qasm2.dumps`` writes for other time units: timing only, so
  each application is the identity);
- parameter expressions: numbers, ``pi``, ``+ - * / ^`` (``^`` binds tightest
  and is right-associative; unary minus binds looser than ``^``, so
  ``-2^2 == -4``), parentheses, ``sin cos tan exp ln sqrt asin acos atan``;
- register broadcasting (``h q;``, ``cx a, b;``, ``measure q -> c;``),
  ``barrier``, ``measure``, ``reset`` and ``if (creg == n) op;``.

The built-in gates are every name in :data:`tensorbond.gates.GATES` (qelib1
plus the names qiskit writes: ``swap``, ``rzz``, ``sx``, ``ecr`` ...), and the
remaining qelib1 gates ``u0``, ``rc3x``, ``c3x``, ``c3sqrtx`` and ``c4x``,
which are expanded with qelib1's own definitions. A file's own ``gate``
definition of a built-in name takes precedence over the built-in from then on:
it is what the file's author meant.

Every problem is a :class:`tensorbond.errors.QasmError` carrying the file name
and the 1-based line and column of the offending token.

Implementation notes: the text is split into tokens by one compiled regular
expression (``re.findall``, no per-token objects); token positions are only
computed when an error is reported. Gate bodies are parsed once into a small
tree, and parameter expressions are folded to numbers wherever they do not
depend on a gate parameter. A gate's body is compiled, when first applied, into
a Python function that appends its Operations (parameters as Python
arithmetic, qubits unpacked, subgates called directly); the expansion of every
gate of at least ``_MEMO_MIN_SIZE`` operations is memoized per (qubits,
parameters, condition) within a parse, so definitions that nest exponentially
cost what their distinct calls cost. Operations are made directly (each was
validated as it was read), and the cyclic garbage collector is paused while
parsing. An error inside compiled code reruns that application through the
interpreter (``_Parser._interpret``), which raises the located message.
"""

from __future__ import annotations

import errno
import gc
import itertools
import math
import operator
import os
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from ..errors import QasmError
from ..ir.gates import GATES
from ..ir.operations import Condition, Operation, Program
from ..ir.parameters import Parameter
from ._limits import MAX_OPERATIONS, MAX_REGISTER_SIZE

__all__ = ["parse", "read_qasm_source"]

# --------------------------------------------------------------------- limits
#: Deepest nesting of parentheses / unary operators in one expression.
_MAX_EXPR_DEPTH = 64
#: Deepest nesting of gate definitions (a gate calling a gate calling ...).
_MAX_GATE_DEPTH = 128
#: Deepest nesting of include files.
_MAX_INCLUDE_DEPTH = 32

# ------------------------------------------------------------------- tokens
_TOKEN_RE = re.compile(
    r"""
      [\[\];,(){}]                                     # the commonest: punctuation
    | [A-Za-z_][A-Za-z0-9_]*                          # identifier or keyword
    | (?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?  # number
    | ->|==                                           # two-character operators
    | "[^"\n]*"                                       # string (include file)
    | \S                                              # any other character
    """,
    re.VERBOSE,
)
# strings are matched so that "//" inside an include path is not a comment
_COMMENT_RE = re.compile(r'"[^"\n]*"|//|/\*')

_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NUM_START = frozenset("0123456789.")
_KEYWORDS = frozenset(
    {
        "OPENQASM",
        "include",
        "qreg",
        "creg",
        "gate",
        "opaque",
        "barrier",
        "measure",
        "reset",
        "if",
    }
)
#: Opaque gates read as the identity: qiskit's delay (timing only).
_DELAY_RE = re.compile(r"delay(?:_[0-9]+)?")
_SENTINELS = ("", "", "", "", "", "")  # end of input; lookahead never runs past

_BINOPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "^": math.pow,  # raises on a complex result, unlike float.__pow__
}
_FUNCS: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "ln": math.log,
    "sqrt": math.sqrt,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
}

#: An expression: a number, or a tuple ``("p", index)`` (gate parameter),
#: ``("neg", node)``, ``(func_name, node)`` or ``(binop, left, right)``.
_Node: TypeAlias = "float | tuple[Any, ...]"

# qelib1.inc gates that tensorbond.gates does not define as matrices, with
# qelib1's definitions (checked against the exact unitaries in the tests).
_QELIB1_EXTRA = """
gate u0(gamma) q { id q; }
gate rc3x a,b,c,d {
  u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d;
  cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d;
  u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d;
}
gate c3x a,b,c,d {
  h d; p(pi/8) a; p(pi/8) b; p(pi/8) c; p(pi/8) d;
  cx a,b; p(-pi/8) b; cx a,b; cx b,c; p(-pi/8) c; cx a,c; p(pi/8) c;
  cx b,c; p(-pi/8) c; cx a,c; cx c,d; p(-pi/8) d; cx b,d; p(pi/8) d;
  cx c,d; p(-pi/8) d; cx a,d; p(pi/8) d; cx c,d; p(-pi/8) d; cx b,d;
  p(pi/8) d; cx c,d; p(-pi/8) d; cx a,d; h d;
}
gate c3sqrtx a,b,c,d {
  h d; cu1(pi/8) a,d; h d; cx a,b; h d; cu1(-pi/8) b,d; h d; cx a,b;
  h d; cu1(pi/8) b,d; h d; cx b,c; h d; cu1(-pi/8) c,d; h d; cx a,c;
  h d; cu1(pi/8) c,d; h d; cx b,c; h d; cu1(-pi/8) c,d; h d; cx a,c;
  h d; cu1(pi/8) c,d; h d;
}
gate c4x a,b,c,d,e {
  h e; cu1(pi/2) d,e; h e; c3x a,b,c,d; h e; cu1(-pi/2) d,e; h e;
  c3x a,b,c,d; c3sqrtx a,b,c,e;
}
"""


# ------------------------------------------------------------ public API
def read_qasm_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    """Resolve ``source`` to program text and a file name for messages.

    Parameters
    ----------
    source : str or os.PathLike
        A path to an OpenQASM file, or the program text itself. A ``str``
        naming an existing file is read; otherwise a ``str`` containing
        ``"OPENQASM"``, a newline or ``";"`` is taken as program text.

    Returns
    -------
    text : str
        The program text (UTF-8, a byte-order mark removed, newlines
        normalised to ``"\\n"``).
    filename : str
        The path as given, or ``"<string>"`` for program text.

    Raises
    ------
    FileNotFoundError
        ``source`` is neither an existing file nor program text.
    tensorbond.QasmError
        The file is not UTF-8 text.
    TypeError
        ``source`` is neither a ``str`` nor path-like.

    Examples
    --------
    >>> read_qasm_source("OPENQASM 2.0; qreg q[1];")
    ('OPENQASM 2.0; qreg q[1];', '<string>')
    """
    if isinstance(source, os.PathLike):
        path = os.fspath(source)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return _read_file(path), path
    if not isinstance(source, str):
        raise TypeError(f"source must be a path or OpenQASM text, got {type(source).__name__}")
    if "\n" not in source and "\0" not in source and len(source) < 4096 and os.path.isfile(source):
        return _read_file(source), source
    if "OPENQASM" in source or "\n" in source or ";" in source:
        return source, "<string>"
    raise FileNotFoundError(errno.ENOENT, "no such OpenQASM file", source)


def parse(
    text: str,
    *,
    filename: str = "<string>",
    bit_conditions: bool = False,
    inputs: Sequence[str] = (),
) -> Program:
    """Parse an OpenQASM 2.0 program into a :class:`~tensorbond.ir.operations.Program`.

    User-defined gates are expanded into built-in gates; registers are laid
    out in declaration order and recorded in ``qregs`` / ``cregs`` as
    ``name -> (first index, size)``.

    Parameters
    ----------
    text : str
        The program.
    filename : str, optional
        Name used in error messages; a relative ``include`` is looked up in
        this file's directory (the working directory for ``"<string>"``).
    bit_conditions : bool, optional
        Also accept conditions on one bit of a register (``if (c[0] == 1)``),
        which OpenQASM 3 has and 2 does not.
    inputs : sequence of str, optional
        Names of input parameters (OpenQASM 3 ``input float[64] theta;``): in
        gate arguments they become :class:`~tensorbond.Parameter` s.

    Returns
    -------
    Program
        ``num_qubits`` is the total size of the ``qreg`` declarations and
        ``num_clbits`` that of the ``creg`` ones; every operation has been
        checked against them.

    Raises
    ------
    tensorbond.QasmError
        Any syntax or semantic error (unknown gate, undeclared register, index
        out of range, wrong number of parameters or qubits, a qubit used
        twice, ...), with ``filename``, ``line`` and ``column`` of the
        offending token.

    Examples
    --------
    >>> prog = parse('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q;')
    >>> [(op.name, op.qubits) for op in prog.operations]
    [('h', (0,)), ('h', (1,))]
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    parser = _Parser(_builtin_gates())
    parser.bit_conditions = bit_conditions
    parser.symbols = {name: Parameter(name) for name in inputs}
    src = _Source(text, filename, _path_of(filename))
    # The cyclic garbage collector would traverse the growing list of
    # operations again and again (a third of the time on a big program); the
    # parser makes no reference cycles, so it is paused while reading.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        parser.run(src)
        return parser.build()
    finally:
        if paused:
            gc.enable()


# ------------------------------------------------------------------ helpers
def _path_of(filename: str) -> str | None:
    """The file path behind a display name, or None for ``<string>`` and the like."""
    return None if filename.startswith("<") else filename


def _read_file(path: str) -> str:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise QasmError(f"the file is not UTF-8 text ({exc.reason})", path, line, col) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _describe(tok: str) -> str:
    """A token as messages show it."""
    return "end of input" if tok == "" else repr(tok)


def _is_ident(tok: str) -> bool:
    return tok[:1] in _IDENT_START


def _eval(node: _Node, env: tuple[Any, ...]) -> Any:
    """Value of an expression tree for the gate parameters ``env`` (a float, or an
    affine expression of the program's input parameters)."""
    if isinstance(node, float):
        return node
    tag = node[0]
    if tag == "p":
        return env[node[1]]
    if tag == "sym":  # an input parameter of the program (OpenQASM 3 'input float')
        return node[1]
    if tag == "neg":
        return -_eval(node[1], env)
    if len(node) == 2:
        return _FUNCS[tag](_eval(node[1], env))
    return _BINOPS[tag](_eval(node[1], env), _eval(node[2], env))


class _Source:
    """One program text (the main file or an include) and its tokens."""

    __slots__ = ("filename", "ntok", "path", "text", "toks")

    def __init__(self, text: str, filename: str, path: str | None) -> None:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.filename = filename
        self.path = path
        self.text = _blank_comments(text, filename)
        toks: list[str] = _TOKEN_RE.findall(self.text)
        self.ntok = len(toks)
        toks.extend(_SENTINELS)
        self.toks = toks

    def offset(self, k: int) -> int:
        """Character offset of token ``k`` (end of the last token past the end)."""
        if k < self.ntok:
            m = next(itertools.islice(_TOKEN_RE.finditer(self.text), k, None))
            return m.start()
        if self.ntok == 0:
            return len(self.text.rstrip())
        m = next(itertools.islice(_TOKEN_RE.finditer(self.text), self.ntok - 1, None))
        return m.end()

    def position(self, k: int) -> tuple[int, int]:
        """1-based (line, column) of token ``k``."""
        return _line_col(self.text, self.offset(k))

    def error(self, message: str, k: int) -> QasmError:
        line, col = self.position(k)
        return QasmError(message, self.filename, line, col)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def _blank_comments(text: str, filename: str) -> str:
    """Replace comments by spaces (newlines kept), so offsets stay valid."""
    if "//" not in text and "/*" not in text:
        return text
    parts: list[str] = []
    last = 0
    pos = 0
    search = _COMMENT_RE.search
    while (m := search(text, pos)) is not None:
        s = m.group()
        start = m.start()
        if s[0] == '"':
            pos = m.end()
            continue
        if s == "//":
            end = text.find("\n", start)
            if end < 0:
                end = len(text)
        else:
            end = text.find("*/", start + 2)
            if end < 0:
                line, col = _line_col(text, start)
                raise QasmError("unterminated comment: '/*' without '*/'", filename, line, col)
            end += 2
        parts.append(text[last:start])
        if s == "//":
            parts.append(" " * (end - start))
        else:
            parts.append(re.sub(r"[^\n]", " ", text[start:end]))
        last = pos = end
    parts.append(text[last:])
    return "".join(parts)


class _Gate:
    """A gate the program can apply: built in (``leaf``), defined, or opaque."""

    __slots__ = (
        "body",
        "depth",
        "fn",
        "leaf",
        "name",
        "nparams",
        "nqubits",
        "opaque",
        "size",
    )

    def __init__(
        self,
        name: str,
        nparams: int,
        nqubits: int,
        *,
        leaf: str | None = None,
        body: list[tuple[Any, ...]] | None = None,
        opaque: bool = False,
        size: int = 1,
        depth: int = 0,
    ) -> None:
        self.name = name
        self.nparams = nparams
        self.nqubits = nqubits
        self.leaf = leaf  # name in GATES for a built-in gate
        # body of a defined gate (empty otherwise), one entry per statement:
        # (sub _Gate or None for a barrier, param nodes, the params folded to
        # numbers or None, argument positions)
        self.body: list[tuple[Any, ...]] = body if body is not None else []
        self.opaque = opaque
        self.size = size  # number of operations one application expands to
        self.depth = depth
        # the body compiled to Python (see _compile_gate): None until first
        # applied, False where it is not compiled (a very long body)
        self.fn: Any = None


_BUILTINS: dict[str, _Gate] | None = None


def _builtin_gates() -> dict[str, _Gate]:
    """GATES plus qelib1's remaining gates (parsed once, then shared)."""
    global _BUILTINS
    if _BUILTINS is None:
        gates = {
            name: _Gate(name, spec.num_params, spec.num_qubits, leaf=name)
            for name, spec in GATES.items()
        }
        parser = _Parser(gates)
        parser.run(_Source(_QELIB1_EXTRA, "<qelib1.inc>", None))
        _BUILTINS = parser.gates
    return _BUILTINS


# ----------------------------------------------------- fast gate expansion
# The parser validates every operation it makes (gate name and arity, finite
# parameters, qubits in range and distinct, condition bits declared), so it
# builds the circuit's Operation objects itself instead of going through
# Circuit.append, and skips the frozen dataclass __init__ (one
# object.__setattr__ per field) by setting the slots directly.
_new_object = object.__new__
_OP_SETTERS = tuple(
    getattr(Operation, f).__set__
    for f in ("kind", "name", "qubits", "params", "clbits", "condition", "matrix")
)


def _gate_op_fast(
    name: str, qubits: tuple[int, ...], params: tuple[float, ...], cond: Condition | None
) -> Operation:
    """``Operation("gate", name, qubits, params, condition=cond)``, faster."""
    op = _new_object(Operation)
    sk, sn, sq, sp, sc, sco, sm = _OP_SETTERS
    sk(op, "gate")
    sn(op, name)
    sq(op, qubits)
    sp(op, params)
    sc(op, ())
    sco(op, cond)
    sm(op, None)
    return op


def _gate_op_plain(
    name: str, qubits: tuple[int, ...], params: tuple[float, ...], cond: Condition | None
) -> Operation:
    return Operation("gate", name, qubits, params, condition=cond)


def _pick_gate_op() -> Callable[..., Operation]:
    """The fast constructor where it makes exactly what the dataclass makes."""
    try:
        probe = (("rz", (1, 0), (0.5,), None), ("h", (0,), (), Condition((0,), 1, "c")))
        if hasattr(Operation, "__post_init__"):
            return _gate_op_plain
        for args in probe:
            a, b = _gate_op_fast(*args), _gate_op_plain(*args)
            if a != b or repr(a) != repr(b) or hash(a) != hash(b):
                return _gate_op_plain
    except Exception:
        return _gate_op_plain
    return _gate_op_fast


_gate_op = _pick_gate_op()


class _SlowPath(Exception):
    """Raised by compiled gate code where the interpreted expansion must take
    over (to report an error with its message)."""


#: Gates expanding to at least this many operations have their expansions
#: memoized per (gate, qubits, parameters, condition) within one parse: the
#: gates that nest exponentially repeat the same calls.
_MEMO_MIN_SIZE = 16
#: Bodies longer than this are expanded by the interpreter, not compiled.
_MAX_COMPILED_BODY = 4000
#: Expression trees deeper than this are evaluated by _eval, not compiled.
_MAX_COMPILED_EXPR_DEPTH = 40

_CODE_BINOPS = {"+": "+", "-": "-", "*": "*", "/": "/"}


def _node_depth(node: _Node) -> int:
    depth = 0
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        if isinstance(n, tuple) and n[0] != "p":
            depth = max(depth, d)
            if d > _MAX_COMPILED_EXPR_DEPTH:
                return d
            stack.extend((c, d + 1) for c in n[1:])
    return depth


def _compile_gate(g: _Gate) -> Any:
    """Compile ``g``'s body into a Python function ``fn(qs, p, c, out, memo)``
    that appends the Operations of ``g`` applied to qubits ``qs`` with
    parameters ``p`` under condition ``c`` to ``out``; False where the body is
    too long to compile. Subgates are compiled first and called directly."""
    if g.fn is not None:
        return g.fn
    if len(g.body) > _MAX_COMPILED_BODY:
        g.fn = False
        return False
    ns: dict[str, Any] = {
        "mk": _gate_op,
        "Op": Operation,
        "Slow": _SlowPath,
        "ev": _eval,
        "pow_": math.pow,
        **{f"f_{k}": v for k, v in _FUNCS.items()},
    }

    def const(value: Any) -> str:
        name = f"k{len(ns)}"
        ns[name] = value
        return name

    def expr(node: _Node) -> str:
        if isinstance(node, float):
            return const(node)
        tag = node[0]
        if tag == "p":
            return f"p[{node[1]}]"
        if tag == "neg":
            return f"(-{expr(node[1])})"
        if len(node) == 2:
            return f"f_{tag}({expr(node[1])})"
        a, b = expr(node[1]), expr(node[2])
        if tag == "^":
            return f"pow_({a}, {b})"
        return f"({a} {_CODE_BINOPS[tag]} {b})"

    nq = g.nqubits
    names = [f"q{j}" for j in range(nq)]
    lines = ["def expand(qs, p, c, out, memo):"]
    if nq:
        lines.append(f"    {', '.join(names)}, = qs")
    lines.append("    append = out.append")
    for sub, nodes, folded, pos in g.body:
        qt = "(" + "".join(f"{names[j]}, " for j in pos) + ")"
        if sub is None:
            lines.append(f"    append(Op('barrier', 'barrier', {qt}))")
            continue
        if sub.size == 0:
            continue  # the identity (an empty gate, a delay)
        if sub.opaque:
            lines.append("    raise Slow")
            continue
        if folded is not None:
            if not all(math.isfinite(v) for v in folded):
                lines.append("    raise Slow")
                continue
            vals = const(folded)
        else:
            for j, n in enumerate(nodes):
                if _node_depth(n) > _MAX_COMPILED_EXPR_DEPTH:
                    code = f"ev({const(n)}, p)"
                else:
                    code = expr(n)
                lines.append(f"    a{j} = {code}")
                lines.append(f"    if a{j} - a{j}: raise Slow")  # inf or nan
            vals = "(" + "".join(f"a{j}, " for j in range(len(nodes))) + ")"
        if sub.leaf is not None:
            lines.append(f"    append(mk({sub.leaf!r}, {qt}, {vals}, c))")
            continue
        fn = _compile_gate(sub)
        if fn is False:
            lines.append("    raise Slow")
            continue
        f = const(fn)
        if sub.size >= _MEMO_MIN_SIZE:
            key = const(sub)
            lines += [
                f"    key = ({key}, {qt}, {vals}, c)",
                "    hit = memo.get(key)",
                "    if hit is None:",
                "        n = len(out)",
                f"        {f}(key[1], key[2], c, out, memo)",
                "        memo[key] = out[n:]",
                "    else:",
                "        out.extend(hit)",
            ]
        else:
            lines.append(f"    {f}({qt}, {vals}, c, out, memo)")
    compiled = compile("\n".join(lines) + "\n", f"<qasm gate {g.name}>", "exec")
    exec(compiled, ns)
    g.fn = ns["expand"]
    return g.fn


# ------------------------------------------------------------------- parser


class _Parser:
    """Recursive-descent OpenQASM 2 parser collecting operations."""

    def __init__(self, builtins: dict[str, _Gate]) -> None:
        self.gates: dict[str, _Gate] = dict(builtins)
        self.defined: dict[str, tuple[_Source, int]] = {}  # the program's own gates
        self.qregs: dict[str, tuple[int, int]] = {}
        self.cregs: dict[str, tuple[int, int]] = {}
        self.declared: dict[str, tuple[_Source, int]] = {}  # register -> declaration
        self.nq = 0
        self.nc = 0
        self.ops: list[Operation] = []
        # expansions of the big gates applied so far, see _MEMO_MIN_SIZE
        self.memo: dict[tuple[Any, ...], list[Operation]] = {}
        self.include_stack: list[str] = []
        self.main: _Source | None = None
        self.src = _Source("", "<string>", None)  # the source being read
        self.toks: list[str] = self.src.toks
        self.gate_name = ""  # gate whose body is being parsed
        self.stmt = 0  # token index of the statement being parsed
        self.bit_conditions = False  # 'if (c[i] == v)': OpenQASM 3 programs only
        # OpenQASM 3 'input float' parameters: name -> Parameter; with any, gates
        # given symbolic values are expanded by the interpreter (compiled bodies
        # and the memo assume numbers).
        self.symbols: dict[str, Parameter] = {}
        self.handlers: dict[str, Callable[[int], int]] = {
            "OPENQASM": self._header,
            "include": self._include,
            "qreg": self._qreg,
            "creg": self._creg,
            "gate": self._gate_def,
            "opaque": self._opaque,
            "barrier": self._barrier,
            "measure": lambda i: self._measure(i, None),
            "reset": lambda i: self._reset(i, None),
            "if": self._if,
        }

    # ------------------------------------------------------------ driver
    def err(self, message: str, k: int) -> QasmError:
        return self.src.error(message, k)

    def expected(self, what: str, k: int, context: str = "") -> QasmError:
        ctx = f" {context}" if context else ""
        return self.err(f"expected {what}{ctx}, got {_describe(self.toks[k])}", k)

    def run(self, src: _Source) -> None:
        """Parse every statement of ``src`` (the main program or an include)."""
        if self.main is None:
            self.main = src
        saved = self.src, self.toks
        self.src, self.toks = src, src.toks
        try:
            self._statements(src)
        except QasmError:
            raise
        except RecursionError:
            raise self.err("the program nests too deeply to be read", self.stmt) from None
        except Exception as exc:  # a bug here must still say where it happened
            raise self.err(
                f"cannot read this statement ({type(exc).__name__}: {exc})", self.stmt
            ) from exc
        finally:
            self.src, self.toks = saved

    def _statements(self, src: _Source) -> None:
        toks = self.toks
        gates = self.gates
        handlers = self.handlers
        apply = self._apply
        n = src.ntok
        i = 0
        while i < n:
            self.stmt = i
            t = toks[i]
            if t in gates:
                i = apply(i, None)
            elif t in handlers:
                if t == "OPENQASM" and i != 0:
                    raise self.err("the OPENQASM header must be the first statement", i)
                i = handlers[t](i)
            else:
                raise self._bad_statement(i)

    def _bad_statement(self, i: int) -> QasmError:
        t = self.toks[i]
        if _is_ident(t):
            if t in self.qregs or t in self.cregs:
                return self.err(
                    f"unknown gate {t!r} ({t!r} is a register, "
                    "a statement starts with a gate or a keyword)",
                    i,
                )
            return self.err(f"unknown gate {t!r}", i)
        if t == "}":
            return self.err("unexpected '}' outside a gate body", i)
        return self.expected("a statement", i)

    # ------------------------------------------------------ declarations
    def _header(self, i: int) -> int:
        toks = self.toks
        v = toks[i + 1]
        if v[:1] not in _NUM_START or v == ".":
            raise self.expected("a version number", i + 1, "after 'OPENQASM'")
        if v.split(".")[0] != "2":
            raise self.err(f"unsupported OpenQASM version {v}: 2.x and 3 are read", i + 1)
        if toks[i + 2] != ";":
            raise self.expected("';'", i + 2, "after 'OPENQASM 2.0'")
        return i + 3

    def _include(self, i: int) -> int:
        toks = self.toks
        t = toks[i + 1]
        if not (t[:1] == '"' and len(t) >= 2):
            raise self.expected("a file name in double quotes", i + 1, "after 'include'")
        if toks[i + 2] != ";":
            raise self.expected("';'", i + 2, f"after 'include {t}'")
        name = t[1:-1]
        if name == "qelib1.inc":
            return i + 3  # built in
        base = os.path.dirname(self.src.path) if self.src.path else os.getcwd()
        path = os.path.join(base, name)
        if not os.path.isfile(path):
            raise self.err(f"cannot find include file {name!r} (looked for {path})", i + 1)
        real = os.path.realpath(path)
        if real in self.include_stack:
            raise self.err(f"include file {name!r} includes itself", i + 1)
        if len(self.include_stack) >= _MAX_INCLUDE_DEPTH:
            raise self.err(f"includes nested more than {_MAX_INCLUDE_DEPTH} deep", i + 1)
        try:
            text = _read_file(path)
        except OSError as exc:
            raise self.err(f"cannot read include file {name!r}: {exc}", i + 1) from exc
        self.include_stack.append(real)
        try:
            self.run(_Source(text, path, path))
        finally:
            self.include_stack.pop()
        return i + 3

    def _new_name(self, k: int, what: str) -> str:
        """Check that token ``k`` can name a new ``what``."""
        t = self.toks[k]
        if not _is_ident(t):
            raise self.expected(f"a {what} name", k)
        if t in _KEYWORDS:
            raise self.err(f"{t!r} is a keyword and cannot name a {what}", k)
        return t

    def _register(self, i: int) -> tuple[str, int, int]:
        toks = self.toks
        kw = toks[i]
        name = self._new_name(i + 1, "register")
        if name in self.declared:
            dsrc, dk = self.declared[name]
            line, _ = dsrc.position(dk)
            raise self.err(f"register {name!r} is already declared (line {line})", i + 1)
        if toks[i + 2] != "[":
            raise self.expected("'['", i + 2, f"after '{kw} {name}'")
        size_tok = toks[i + 3]
        if not size_tok.isdigit():
            raise self.expected("a register size (a non-negative integer)", i + 3)
        if toks[i + 4] != "]":
            raise self.expected("']'", i + 4, f"after '{kw} {name}[{size_tok}'")
        if toks[i + 5] != ";":
            raise self.expected("';'", i + 5, f"after '{kw} {name}[{size_tok}]'")
        size = int(size_tok) if len(size_tok) <= 18 else MAX_REGISTER_SIZE + 1
        if size == 0:
            raise self.err(f"register {name!r} has size 0", i + 3)
        if size > MAX_REGISTER_SIZE:
            raise self.err(
                f"register {name!r} has size {size_tok}, more than the "
                f"limit of {MAX_REGISTER_SIZE}",
                i + 3,
            )
        self.declared[name] = (self.src, i + 1)
        return name, size, i + 6

    def _qreg(self, i: int) -> int:
        name, size, i = self._register(i)
        self.qregs[name] = (self.nq, size)
        self.nq += size
        return i

    def _creg(self, i: int) -> int:
        name, size, i = self._register(i)
        self.cregs[name] = (self.nc, size)
        self.nc += size
        return i

    def _gate_header(self, i: int) -> tuple[str, list[str], list[str], int]:
        """Parse ``name(params) qargs`` of a gate or opaque; return the next index."""
        toks = self.toks
        name = self._new_name(i + 1, "gate")
        if name in ("U", "CX"):
            raise self.err(f"{name!r} is a built-in primitive and cannot be redefined", i + 1)
        if name in self.defined:
            dsrc, dk = self.defined[name]
            line, _ = dsrc.position(dk)
            raise self.err(f"gate {name!r} is already defined (line {line})", i + 1)
        i += 2
        params: list[str] = []
        if toks[i] == "(":
            i += 1
            if toks[i] != ")":
                while True:
                    p = self._new_name(i, "parameter")
                    if p == "pi":
                        raise self.err("'pi' is a constant and cannot name a parameter", i)
                    if p in params:
                        raise self.err(f"parameter {p!r} of gate {name!r} is listed twice", i)
                    params.append(p)
                    i += 1
                    if toks[i] == ")":
                        break
                    if toks[i] != ",":
                        raise self.expected("',' or ')'", i, f"in the parameters of gate {name!r}")
                    i += 1
            i += 1
        qargs: list[str] = []
        while True:
            a = self._new_name(i, "qubit argument")
            if a in qargs:
                raise self.err(f"qubit argument {a!r} of gate {name!r} is listed twice", i)
            if a in params:
                raise self.err(
                    f"{a!r} is both a parameter and a qubit argument of gate {name!r}",
                    i,
                )
            qargs.append(a)
            i += 1
            if toks[i] != ",":
                break
            i += 1
        return name, params, qargs, i

    def _opaque(self, i: int) -> int:
        name, params, qargs, j = self._gate_header(i)
        if self.toks[j] != ";":
            raise self.expected("';'", j, f"after the declaration of opaque gate {name!r}")
        old = self.gates.get(name)
        if (
            old is not None
            and name not in self.defined
            and old.nparams == len(params)
            and old.nqubits == len(qargs)
        ):
            pass  # declares a gate tensorbond has built in: keep the built-in
        elif _DELAY_RE.fullmatch(name):
            # qiskit.qasm2.dumps writes a delay as 'opaque delay(param0) q0;'
            # ('delay_<id>' for other time units): timing only, so the identity
            self.gates[name] = _Gate(name, len(params), len(qargs), size=0)
        else:
            self.gates[name] = _Gate(name, len(params), len(qargs), opaque=True)
        self.defined[name] = (self.src, i + 1)
        return j + 1

    def _gate_def(self, i: int) -> int:
        toks = self.toks
        name, params, qargs, j = self._gate_header(i)
        if toks[j] != "{":
            raise self.expected("'{'", j, f"to open the body of gate {name!r}")
        brace = j
        env = {p: k for k, p in enumerate(params)}
        qmap = {a: k for k, a in enumerate(qargs)}
        gates = self.gates
        body: list[tuple[Any, ...]] = []
        size = 0
        depth = 0
        self.gate_name = name
        j += 1
        while True:
            t = toks[j]
            if t == "}":
                j += 1
                break
            if t == "barrier":
                args, j = self._body_args(j + 1, qmap, "barrier", dedupe=True)
                body.append((None, (), (), args))
                size += 1
                continue
            sub = gates.get(t)
            if sub is None or t in _KEYWORDS:
                raise self._bad_body_statement(j, name, brace)
            ck = j
            j += 1
            nodes: list[_Node] = []
            if toks[j] == "(":
                j += 1
                if toks[j] != ")":
                    while True:
                        node, j = self._expr(j, env, 0)
                        nodes.append(node)
                        if toks[j] == ")":
                            break
                        if toks[j] != ",":
                            raise self.expected("',' or ')'", j, f"in the parameters of {t!r}")
                        j += 1
                j += 1
            if len(nodes) != sub.nparams:
                raise self.err(f"gate {t!r} takes {sub.nparams} parameter(s), got {len(nodes)}", ck)
            args, j = self._body_args(j, qmap, t, dedupe=False)
            if len(args) != sub.nqubits:
                raise self.err(f"gate {t!r} acts on {sub.nqubits} qubit(s), got {len(args)}", ck)
            folded = tuple(nodes) if all(isinstance(n, float) for n in nodes) else None
            body.append((sub, tuple(nodes), folded, args))
            size += sub.size
            depth = max(depth, sub.depth)
        if size > MAX_OPERATIONS:
            raise self.err(
                f"gate {name!r} expands to {size:,} operations, more than "
                f"the limit of {MAX_OPERATIONS:,} (tensorbond.qasm.MAX_OPERATIONS)",
                i + 1,
            )
        if depth + 1 > _MAX_GATE_DEPTH:
            raise self.err(
                f"gate {name!r} nests gate definitions more than {_MAX_GATE_DEPTH} deep",
                i + 1,
            )
        self.gates[name] = _Gate(
            name, len(params), len(qargs), body=body, size=size, depth=depth + 1
        )
        self.defined[name] = (self.src, i + 1)
        self.gate_name = ""
        return j

    def _bad_body_statement(self, j: int, name: str, brace: int) -> QasmError:
        t = self.toks[j]
        line, _ = self.src.position(brace)
        if t == "":
            return self.err(
                f"unterminated body of gate {name!r}: the '{{' on line {line} has no matching '}}'",
                brace,
            )
        if t in ("measure", "reset", "if"):
            return self.err(f"{t!r} is not allowed inside a gate body (gate {name!r})", j)
        if t in _KEYWORDS:
            return self.err(
                f"expected '}}' to close the body of gate {name!r} "
                f"(opened on line {line}), got {t!r}",
                j,
            )
        if t == name:
            return self.err(f"gate {name!r} cannot apply itself", j)
        if _is_ident(t):
            return self.err(f"unknown gate {t!r} in the body of gate {name!r}", j)
        return self.expected("a gate, 'barrier' or '}'", j, f"in the body of gate {name!r}")

    def _body_args(
        self, j: int, qmap: dict[str, int], what: str, *, dedupe: bool
    ) -> tuple[tuple[int, ...], int]:
        toks = self.toks
        args: list[int] = []
        while True:
            a = toks[j]
            k = qmap.get(a)
            if k is None:
                if _is_ident(a) and a not in _KEYWORDS:
                    raise self.err(f"{a!r} is not a qubit argument of gate {self.gate_name!r}", j)
                raise self.expected("a qubit argument", j, f"of {what!r}")
            if toks[j + 1] == "[":
                raise self.err(f"qubit argument {a!r} cannot be indexed inside a gate body", j + 1)
            if k in args:
                if not dedupe:
                    raise self.err(f"qubit {a!r} used twice in {what}", j)
            else:
                args.append(k)
            j += 1
            t = toks[j]
            if t == ";":
                return tuple(args), j + 1
            if t != ",":
                raise self.expected("',' or ';'", j, f"after the arguments of {what!r}")
            j += 1

    # -------------------------------------------------------- expressions
    def _param_values(self, i: int, name: str) -> tuple[tuple[float, ...], int]:
        """Constant parameter list at ``toks[i] == '('``; returns the index after."""
        toks = self.toks
        i += 1
        if toks[i] == ")":
            return (), i + 1
        vals: list[float] = []
        while True:
            t = toks[i]
            nt = toks[i + 1]
            k = i
            if nt in {",", ")"} and t[:1] in _NUM_START and t != ".":
                v = float(t)
                i += 1
            elif (
                t == "-"
                and toks[i + 2] in {",", ")"}
                and toks[i + 1][:1] in _NUM_START
                and toks[i + 1] != "."
            ):
                v = -float(toks[i + 1])
                i += 2
                nt = toks[i]
            else:
                node, i = self._expr(i, None, 0)
                nt = toks[i]
                if isinstance(node, float):
                    v = node
                else:  # depends on input parameters: affine, or refused
                    try:
                        vals.append(_eval(node, ()))
                    except TypeError:
                        raise self.err(
                            f"a parameter of {name!r} is not an affine function of the "
                            "input parameters (sums of parameters times numbers)",
                            k,
                        ) from None
                    if nt == ")":
                        return tuple(vals), i + 1
                    if nt != ",":
                        raise self.expected("',' or ')'", i, f"in the parameters of {name!r}")
                    i += 1
                    continue
            if not math.isfinite(v):
                raise self.err(f"parameter of {name!r} is not finite ({v})", k)
            vals.append(v)
            if nt == ")":
                return tuple(vals), i + 1
            if nt != ",":
                raise self.expected("',' or ')'", i, f"in the parameters of {name!r}")
            i += 1

    def _fold(self, op: str, a: _Node, b: _Node, k: int) -> _Node:
        if isinstance(a, float) and isinstance(b, float):
            try:
                return _BINOPS[op](a, b)
            except (ArithmeticError, ValueError) as exc:
                raise self.err(f"cannot evaluate {a!r} {op} {b!r}: {exc}", k) from None
        return (op, a, b)

    def _expr(self, i: int, env: dict[str, int] | None, depth: int) -> tuple[_Node, int]:
        toks = self.toks
        node, i = self._term(i, env, depth)
        t = toks[i]
        while t in {"+", "-"}:
            rhs, j = self._term(i + 1, env, depth)
            node = self._fold(t, node, rhs, i)
            i = j
            t = toks[i]
        return node, i

    def _term(self, i: int, env: dict[str, int] | None, depth: int) -> tuple[_Node, int]:
        toks = self.toks
        node, i = self._unary(i, env, depth)
        t = toks[i]
        while t in {"*", "/"}:
            rhs, j = self._unary(i + 1, env, depth)
            node = self._fold(t, node, rhs, i)
            i = j
            t = toks[i]
        return node, i

    def _unary(self, i: int, env: dict[str, int] | None, depth: int) -> tuple[_Node, int]:
        t = self.toks[i]
        if t in {"-", "+"}:
            if depth >= _MAX_EXPR_DEPTH:
                raise self.err("expression nested too deeply", i)
            node, i = self._unary(i + 1, env, depth + 1)
            if t == "-":
                node = -node if isinstance(node, float) else ("neg", node)
            return node, i
        return self._power(i, env, depth)

    def _power(self, i: int, env: dict[str, int] | None, depth: int) -> tuple[_Node, int]:
        node, i = self._atom(i, env, depth)
        if self.toks[i] == "^":
            if depth >= _MAX_EXPR_DEPTH:
                raise self.err("expression nested too deeply", i)
            rhs, j = self._unary(i + 1, env, depth + 1)  # right-associative
            node = self._fold("^", node, rhs, i)
            i = j
        return node, i

    def _atom(self, i: int, env: dict[str, int] | None, depth: int) -> tuple[_Node, int]:
        toks = self.toks
        t = toks[i]
        if t[:1] in _NUM_START and t != ".":
            return float(t), i + 1
        if env is not None and t in env:
            return ("p", env[t]), i + 1
        if t == "pi":
            return math.pi, i + 1
        if t == "(" or (t in _FUNCS and toks[i + 1] == "("):
            if depth >= _MAX_EXPR_DEPTH:
                raise self.err("expression nested too deeply", i)
            k = i
            if t != "(":
                i += 1
            node, i = self._expr(i + 1, env, depth + 1)
            if toks[i] != ")":
                raise self.expected("')'", i, "in expression")
            if t == "(":
                return node, i + 1
            if isinstance(node, float):
                try:
                    return _FUNCS[t](node), i + 1
                except (ArithmeticError, ValueError) as exc:
                    raise self.err(f"cannot evaluate {t}({node!r}): {exc}", k) from None
            return (t, node), i + 1
        if env is None and t in self.symbols:
            return ("sym", self.symbols[t]), i + 1
        if _is_ident(t) and t not in _FUNCS:
            if env is not None:
                raise self.err(f"{t!r} is not a parameter of gate {self.gate_name!r}", i)
            raise self.err(f"unknown identifier {t!r} in expression", i)
        raise self.expected("a number, 'pi', a function or '('", i, "in expression")

    # --------------------------------------------------------- arguments
    def _arg(self, i: int, quantum: bool) -> tuple[int, int, bool, int]:
        """One register or bit argument: (first index, count, is_register, next i)."""
        toks = self.toks
        regs = self.qregs if quantum else self.cregs
        t = toks[i]
        reg = regs.get(t)
        if reg is None:
            raise self._bad_arg(i, quantum)
        if toks[i + 1] != "[":
            return reg[0], reg[1], True, i + 1
        k = self._index(i, reg)
        return reg[0] + k, 1, False, i + 4

    def _index(self, i: int, reg: tuple[int, int]) -> int:
        """Validate ``name [ index ]`` at token i; returns the index."""
        toks = self.toks
        it = toks[i + 2]
        if not it.isdigit():
            raise self.expected("an index (a non-negative integer)", i + 2, f"after '{toks[i]}['")
        if toks[i + 3] != "]":
            raise self.expected("']'", i + 3, f"after '{toks[i]}[{it}'")
        k = int(it) if len(it) <= 18 else reg[1]
        if k >= reg[1]:
            raise self.err(
                f"index {it} out of range for register {toks[i]!r} of size {reg[1]}",
                i + 2,
            )
        return k

    def _bad_arg(self, i: int, quantum: bool) -> QasmError:
        t = self.toks[i]
        if quantum:
            if t in self.cregs:
                return self.err(f"{t!r} is a classical register, expected a qubit", i)
            if _is_ident(t) and t not in _KEYWORDS:
                return self.err(f"undeclared quantum register {t!r}", i)
            return self.expected("a qubit (register or register[index])", i)
        if t in self.qregs:
            return self.err(f"{t!r} is a quantum register, expected a classical bit", i)
        if _is_ident(t) and t not in _KEYWORDS:
            return self.err(f"undeclared classical register {t!r}", i)
        return self.expected("a classical bit (register or register[index])", i)

    def _arg_name(self, k: int) -> str:
        """``q[3]`` or ``q`` as written at token k."""
        toks = self.toks
        if toks[k + 1] == "[":
            return f"{toks[k]}[{toks[k + 2]}]"
        return toks[k]

    # -------------------------------------------------------- statements
    def _apply(self, i: int, cond: Condition | None) -> int:
        """A gate application at ``toks[i]`` (a known gate name)."""
        toks = self.toks
        start = i
        g = self.gates[toks[i]]
        i += 1
        if toks[i] == "(":
            params, i = self._param_values(i, g.name)
        else:
            params = ()
        if len(params) != g.nparams:
            raise self.err(
                f"gate {g.name!r} takes {g.nparams} parameter(s), got {len(params)}",
                start,
            )
        qregs = self.qregs
        qs: list[Any] = []
        bcast = False
        while True:
            reg = qregs.get(toks[i])
            if reg is None:
                raise self._bad_arg(i, True)
            if toks[i + 1] == "[":
                it = toks[i + 2]
                if toks[i + 3] == "]" and it.isdigit() and len(it) <= 18:
                    k = int(it)
                    if k >= reg[1]:
                        self._index(i, reg)  # raises
                    qs.append(reg[0] + k)
                    i += 4
                else:
                    self._index(i, reg)  # raises
            else:
                qs.append(reg)
                bcast = True
                i += 1
            t = toks[i]
            if t == ";":
                break
            if t != ",":
                raise self.expected("',' or ';'", i, f"after the arguments of {g.name!r}")
            i += 1
        i += 1
        nq = len(qs)
        if nq != g.nqubits:
            raise self.err(f"gate {g.name!r} acts on {g.nqubits} qubit(s), got {nq}", start)
        if g.opaque:
            raise self.err(
                f"gate {g.name!r} is opaque: it has no definition, so it cannot be applied",
                start,
            )
        if not bcast:
            if nq > 1 and (qs[0] == qs[1] if nq == 2 else len(set(qs)) != nq):
                raise self._twice(qs, self._arg_tokens(start), g.name)
            if g.leaf is not None:
                self.ops.append(_gate_op(g.leaf, tuple(qs), params, cond))
            else:
                self._check_room(g.size, start)
                self._expand(g, params, tuple(qs), cond, start)
            return i
        name = g.name
        argtok = self._arg_tokens(start)
        # register broadcasting: registers pair up elementwise, single qubits repeat
        size = -1
        for q, k in zip(qs, argtok, strict=True):
            if q.__class__ is tuple:
                if size < 0:
                    size = q[1]
                    first = k
                elif q[1] != size:
                    raise self.err(
                        f"registers of different sizes in {name!r}: "
                        f"{toks[first]!r} has {size}, {toks[k]!r} has {q[1]}",
                        k,
                    )
        self._check_room(g.size * size, start)
        for m in range(size):
            row = [q if q.__class__ is int else q[0] + m for q in qs]
            if nq > 1 and len(set(row)) != nq:
                raise self._twice(row, argtok, name, m)
            if g.leaf is not None:
                self.ops.append(_gate_op(g.leaf, tuple(row), params, cond))
            else:
                self._expand(g, params, tuple(row), cond, start)
        return i

    def _arg_tokens(self, start: int) -> list[int]:
        """Token index of each qubit argument of the (valid) application at start."""
        toks = self.toks
        i = start + 1
        if toks[i] == "(":
            depth = 0
            while True:
                t = toks[i]
                depth += (t == "(") - (t == ")")
                i += 1
                if depth == 0:
                    break
        out = []
        while True:
            out.append(i)
            i += 4 if toks[i + 1] == "[" else 1
            if toks[i] == ";":
                return out
            i += 1

    def _twice(self, qs: list[Any], argtok: list[int], name: str, m: int = -1) -> QasmError:
        """Error for a qubit repeated in one application (``m``: broadcast row)."""
        seen: set[int] = set()
        for q, k in zip(qs, argtok, strict=True):
            if q in seen:
                label = self._arg_name(k)
                if self.toks[k + 1] != "[" and m >= 0:
                    label = f"{label}[{m}]"
                return self.err(f"qubit {label} used twice in {name}", k)
            seen.add(q)
        return self.err(f"a qubit is used twice in {name}", argtok[0])  # unreachable

    def _check_room(self, count: int, k: int) -> None:
        done = len(self.ops)
        if done + count > MAX_OPERATIONS:
            raise self.err(
                f"this statement expands to {count:,} operations, which after the "
                f"{done:,} before it is more than the limit of {MAX_OPERATIONS:,} "
                "(tensorbond.qasm.MAX_OPERATIONS)",
                k,
            )

    def _expand(
        self,
        g: _Gate,
        params: tuple[float, ...],
        qs: tuple[int, ...],
        cond: Condition | None,
        k: int,
    ) -> None:
        """Append the built-in operations of user gate ``g`` (called at token k)."""
        if self.symbols and not all(type(v) is float for v in params):
            self._interpret(g, params, qs, cond, k)
            return
        fn = g.fn if g.fn is not None else _compile_gate(g)
        if fn is False:
            self._interpret(g, params, qs, cond, k)
            return
        ops = self.ops
        memo = self.memo
        n = len(ops)
        try:
            if g.size >= _MEMO_MIN_SIZE:
                key = (g, qs, params, cond)
                hit = memo.get(key)
                if hit is not None:
                    ops.extend(hit)
                    return
                fn(qs, params, cond, ops, memo)
                memo[key] = ops[n:]
            else:
                fn(qs, params, cond, ops, memo)
        except (_SlowPath, ArithmeticError, ValueError, RecursionError):
            del ops[n:]
            self._interpret(g, params, qs, cond, k)  # raises, with the message

    def _interpret(
        self,
        g: _Gate,
        params: tuple[float, ...],
        qs: tuple[int, ...],
        cond: Condition | None,
        k: int,
    ) -> None:
        """_expand without compiled code: very long bodies, and errors."""
        ops = self.ops
        for sub, nodes, folded, pos in g.body:
            q2 = tuple([qs[j] for j in pos])
            if sub is None:
                ops.append(Operation("barrier", "barrier", q2))
                continue
            if folded is not None:
                vals = folded
                for v in vals:
                    if not math.isfinite(v):
                        raise self.err(
                            f"a parameter of {sub.name!r} in gate {g.name!r} is not finite ({v})",
                            k,
                        )
            else:
                try:
                    vals = tuple([_eval(n, params) for n in nodes])
                except (ArithmeticError, ValueError, RecursionError) as exc:
                    raise self.err(
                        f"cannot evaluate a parameter of {sub.name!r} in gate {g.name!r}: {exc}",
                        k,
                    ) from None
                except TypeError:  # a function or product of input parameters
                    raise self.err(
                        f"a parameter of {sub.name!r} in gate {g.name!r} is not an affine "
                        "function of the input parameters (sums of parameters times numbers)",
                        k,
                    ) from None
                for v in vals:
                    if type(v) is float and not math.isfinite(v):
                        raise self.err(
                            f"a parameter of {sub.name!r} in gate {g.name!r} is not finite ({v})",
                            k,
                        )
            if sub.leaf is not None:
                ops.append(_gate_op(sub.leaf, q2, vals, cond))
            elif sub.opaque:
                raise self.err(
                    f"gate {g.name!r} applies the opaque gate {sub.name!r}, "
                    "which has no definition",
                    k,
                )
            else:
                self._interpret(sub, vals, q2, cond, k)

    def _barrier(self, i: int) -> int:
        toks = self.toks
        i += 1
        qubits: list[int] = []
        while True:
            first, count, _, i = self._arg(i, True)
            qubits.extend(range(first, first + count))
            t = toks[i]
            if t == ";":
                break
            if t != ",":
                raise self.expected("',' or ';'", i, "after the arguments of 'barrier'")
            i += 1
        qt = tuple(dict.fromkeys(qubits))  # a barrier over a set: repeats dropped
        self.ops.append(Operation("barrier", "barrier", qt))
        return i + 1

    def _measure(self, i: int, cond: Condition | None) -> int:
        toks = self.toks
        qk = i + 1
        q0, qn, qreg, i = self._arg(qk, True)
        if toks[i] != "->":
            raise self.expected("'->'", i, f"after 'measure {self._arg_name(qk)}'")
        ck = i + 1
        c0, cn, creg, i = self._arg(ck, False)
        if toks[i] != ";":
            raise self.expected("';'", i, "after the measure statement")
        if qreg != creg:
            raise self.err(
                f"measure of {self._arg_name(qk)} into {self._arg_name(ck)}: "
                "a register is measured into a register, a qubit into a bit",
                ck,
            )
        if qn != cn:
            raise self.err(
                f"measure of register {toks[qk]!r} ({qn} qubits) into register "
                f"{toks[ck]!r} ({cn} bits): sizes differ",
                ck,
            )
        self.ops.extend(
            Operation("measure", "measure", (q0 + m,), clbits=(c0 + m,), condition=cond)
            for m in range(qn)
        )
        return i + 1

    def _reset(self, i: int, cond: Condition | None) -> int:
        q0, qn, _, i = self._arg(i + 1, True)
        if self.toks[i] != ";":
            raise self.expected("';'", i, "after the reset statement")
        self.ops.extend(Operation("reset", "reset", (q0 + m,), condition=cond) for m in range(qn))
        return i + 1

    def _if(self, i: int) -> int:
        toks = self.toks
        if toks[i + 1] != "(":
            raise self.expected("'('", i + 1, "after 'if'")
        name = toks[i + 2]
        reg = self.cregs.get(name)
        if reg is None:
            if name in self.qregs:
                raise self.err(
                    f"{name!r} is a quantum register; 'if' tests a classical register",
                    i + 2,
                )
            if _is_ident(name) and name not in _KEYWORDS:
                raise self.err(f"undeclared classical register {name!r}", i + 2)
            raise self.expected("a classical register", i + 2, "after 'if ('")
        bit = None
        if toks[i + 3] == "[" and self.bit_conditions:
            bit = self._index(i + 2, reg)
            i += 3  # as if the register name were 'c[i]'
        elif toks[i + 3] == "[":
            raise self.err("'if' tests a whole classical register, not one bit", i + 3)
        if toks[i + 3] != "==":
            raise self.expected("'=='", i + 3, f"after 'if ({name}'")
        vt = toks[i + 4]
        if not vt.isdigit():
            raise self.expected("a non-negative integer", i + 4, f"after 'if ({name} =='")
        if toks[i + 5] != ")":
            raise self.expected("')'", i + 5, f"after 'if ({name} == {vt}'")
        if bit is not None:
            reg = (reg[0] + bit, 1)
        value = int(vt) if len(vt) <= 4000 else 1 << (reg[1] + 1)
        if value >> reg[1]:
            raise self.err(
                f"value {vt} does not fit in register {name!r} of {reg[1]} bit(s)",
                i + 4,
            )
        cond = Condition(tuple(range(reg[0], reg[0] + reg[1])), value, name)
        j = i + 6
        t = toks[j]
        if t in self.gates:
            return self._apply(j, cond)
        if t == "measure":
            return self._measure(j, cond)
        if t == "reset":
            return self._reset(j, cond)
        if _is_ident(t) and t not in _KEYWORDS:
            raise self.err(f"unknown gate {t!r}", j)
        raise self.expected("a gate, 'measure' or 'reset'", j, f"after 'if ({name} == {vt})'")

    # ------------------------------------------------------------- build
    def build(self) -> Program:
        """The program of everything parsed."""
        main = self.main
        assert main is not None
        if self.nq == 0:
            raise main.error("the program declares no qubits (no 'qreg')", main.ntok)
        # every operation was validated as it was read (see _gate_op)
        prog = Program(
            self.nq,
            self.nc,
            self.ops,
            dict(self.qregs),
            dict(self.cregs),
            parameters=tuple(self.symbols.values()),
        )
        self.ops = []
        self.memo.clear()
        return prog
