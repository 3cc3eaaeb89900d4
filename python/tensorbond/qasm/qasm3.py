"""OpenQASM 3 import, the common subset: what ``qiskit.qasm3.dumps`` writes for
circuits of gates, measurements, resets and classical control.

Read: ``OPENQASM 3;``, ``include "stdgates.inc";``, ``qubit[n] q;`` /
``qubit q;``, ``bit[n] c;`` / ``bit c;``, gate definitions with parameters,
``c[i] = measure q[j];`` / ``c = measure q;`` / ``measure q -> c;``,
``reset``, ``barrier``, ``if (c == n)``, ``if (c[i] == v)``, ``if (c[i])``,
``if (!c[i])`` with a statement or a block and an optional ``else`` block,
``for`` loops over ``[a:b]``, ``[a:step:b]`` (inclusive, as in QASM 3) or
``{v, ...}`` with the loop variable in indices and parameters, and
``gphase(theta);`` (applied exactly, as ``p(theta) x p(theta) x`` on one qubit,
which is ``e^{i theta}`` times the identity), gates on no qubits whose bodies
apply ``gphase`` (qiskit's ``gate global_phase(p0) { }`` is ``gphase(p0)``),
``delay[...]`` (timing only: the identity), and physical qubits ``$0, $1, ...``
as written by ``qiskit.qasm3.dumps`` of a transpiled circuit (one register of
largest index + 1 qubits, ``$k`` being qubit k; a program uses either physical
or declared qubits).

The program is rewritten into the OpenQASM 2 the main parser reads, each
statement on its own source line, so the errors of either step name the line
(and column) of the OpenQASM 3 text. Anything outside the subset (classical
types and arithmetic, while loops, subroutines, gate modifiers) is a
QasmError that names it.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import QasmError
from ._limits import MAX_OPERATIONS, MAX_REGISTER_SIZE

__all__ = ["is_qasm3", "translate_qasm3", "translate_with_inputs"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<str>"[^"\n]*")
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<id>[A-Za-z_$][A-Za-z0-9_]*)
  | (?P<op>->|==|!=|<=|>=|&&|\|\||\+\+|[-+*/%^()\[\]{};,:=<>!~@&|.])
""",
    re.VERBOSE | re.DOTALL,
)

#: Names an input parameter may not take: expressions read them as these.
_RESERVED_INPUT_NAMES = frozenset(
    {"pi", "tau", "euler", "sin", "cos", "tan", "exp", "ln", "sqrt", "asin", "acos", "atan"}
)

_UNSUPPORTED = {
    "int": "classical integer variables",
    "uint": "classical integer variables",
    "float": "classical float variables",
    "angle": "angle variables",
    "bool": "classical bool variables",
    "const": "constants",
    "output": "output variables",
    "while": "while loops",
    "def": "subroutines",
    "defcal": "pulse calibrations",
    "cal": "pulse calibrations",
    "box": "box blocks",
    "let": "aliases",
    "switch": "switch statements",
    "ctrl": "gate modifiers (ctrl @)",
    "negctrl": "gate modifiers (negctrl @)",
    "inv": "gate modifiers (inv @)",
    "pow": "gate modifiers (pow @)",
    "delay": None,
    "extern": "extern functions",
    "array": "arrays",
    "duration": "durations",
    "stretch": "durations",
    "complex": "complex variables",
    "return": "subroutines",
    "break": "break",
    "continue": "continue",
    "end": "end",
}
_RENAME = {"phase": "p"}
_MAX_LOOP = 1_000_000
_ARITH: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}


def _arith(node: ast.AST) -> int:
    """An integer expression of + - * / % and parentheses (no powers: a bounded
    amount of work whatever the text)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _arith(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        a, b = _arith(node.left), _arith(node.right)
        if max(abs(a), abs(b)) > 1 << 62:
            raise ValueError("operand too large")
        return _ARITH[type(node.op)](a, b)
    raise ValueError("only integers with + - * / % are allowed")


@dataclass
class _Tok:
    text: str
    line: int
    col: int


def is_qasm3(text: str) -> bool:
    """Whether the program's header says OpenQASM 3."""
    m = re.search(r"^\s*(?://[^\n]*\n\s*|/\*.*?\*/\s*)*OPENQASM\s+(\d+)", text, re.DOTALL)
    return bool(m and m.group(1) == "3")


def _tokenize(text: str, filename: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise QasmError(
                f"unexpected character {text[pos]!r}", filename, line, pos - line_start + 1
            )
        kind, s = m.lastgroup, m.group()
        if kind not in ("ws", "comment"):
            toks.append(_Tok(s, line, pos - line_start + 1))
        nl = s.count("\n")
        if nl:
            line += nl
            line_start = pos + s.rfind("\n") + 1
        pos = m.end()
    return toks


class _Translator:
    def __init__(self, toks: list[_Tok], filename: str) -> None:
        self.toks = toks
        self.filename = filename
        self.out: dict[int, list[str]] = {}
        self.scalar_bits: set[str] = set()
        self.scalar_qubits: set[str] = set()
        self.cregs: dict[str, int] = {}
        self.inputs: list[str] = []  # input float parameters, in declaration order
        self.first_qubit: str | None = None  # where a top-level gphase acts
        self.emitted = 0
        self.repeat = 1  # product of the enclosing loops' lengths
        # gates on no qubits: name -> (parameter names, angles of its gphases as tokens)
        self.phase_gates: dict[str, tuple[list[str], list[list[str]]]] = {}
        self.phys = self._physical_register()  # register standing for $0, $1, ...

    # ------------------------------------------------------------ helpers
    def _physical_register(self) -> str | None:
        """The register name for physical qubits ``$k`` (None when none is used):
        one register of (largest index + 1) qubits, ``$k`` being qubit k."""
        top = -1
        first = -1
        for j, t in enumerate(self.toks):
            if t.text.startswith("$"):
                if not re.fullmatch(r"\$[0-9]+", t.text):
                    raise self.err(f"a physical qubit is '$' and a number, got {t.text!r}", j)
                k = int(t.text[1:]) if len(t.text) <= 19 else MAX_REGISTER_SIZE
                if k >= MAX_REGISTER_SIZE:
                    raise self.err(
                        f"physical qubit {t.text} is beyond the limit of "
                        f"{MAX_REGISTER_SIZE} qubits",
                        j,
                    )
                if k > top:
                    top = k
                if first < 0:
                    first = j
        if top < 0:
            return None
        names = {t.text for t in self.toks}
        candidates = itertools.chain(["q"], (f"q_phys{i}" for i in itertools.count()))
        name = next(n for n in candidates if n not in names)
        self.phys_size = top + 1
        self.phys_first = first
        return name

    def err(self, msg: str, k: int) -> QasmError:
        t = self.toks[min(k, len(self.toks) - 1)] if self.toks else _Tok("", 1, 1)
        return QasmError(msg, self.filename, t.line, t.col)

    def tok(self, k: int) -> str:
        return self.toks[k].text if k < len(self.toks) else ""

    def expect(self, k: int, text: str, context: str) -> int:
        if self.tok(k) != text:
            got = repr(self.tok(k)) if k < len(self.toks) else "end of input"
            raise self.err(f"expected {text!r} {context}, got {got}", k)
        return k + 1

    def emit(self, k: int, stmt: str) -> None:
        self.emitted += 1
        if self.emitted > MAX_OPERATIONS:  # nested loops multiply: stop before memory does
            raise self.err(f"the program unrolls to more than {MAX_OPERATIONS:,} statements", k)
        line = self.toks[k].line if k < len(self.toks) else 1
        self.out.setdefault(line, []).append(stmt)

    def statement_end(self, k: int) -> int:
        """Index of the ';' ending the statement at k (not crossing braces)."""
        j = k
        while j < len(self.toks) and self.toks[j].text != ";":
            if self.toks[j].text in ("{", "}"):
                raise self.err("expected ';' before this brace", j)
            j += 1
        if j >= len(self.toks):
            raise self.err("expected ';' at the end of the statement", k)
        return j

    def block_end(self, k: int) -> int:
        """Index of the '}' matching the '{' at k."""
        depth = 0
        for j in range(k, len(self.toks)):
            if self.toks[j].text == "{":
                depth += 1
            elif self.toks[j].text == "}":
                depth -= 1
                if depth == 0:
                    return j
        raise self.err("this '{' is never closed", k)

    def text(self, a: int, b: int, env: dict[str, int]) -> str:
        """Tokens [a, b) as OpenQASM 2 text: loop variables substituted, index
        expressions evaluated, scalar registers indexed, gate names mapped."""
        out: list[str] = []
        j = a
        while j < b:
            t = self.toks[j].text
            if t in env:
                out.append(str(env[t]))
            elif t[0] == "$":
                out.append(f"{self.phys}[{int(t[1:])}]")
            elif t == "[" and out and re.match(r"[A-Za-z_]", out[-1]):
                close = j
                depth = 0
                while close < b:
                    if self.toks[close].text == "[":
                        depth += 1
                    elif self.toks[close].text == "]":
                        depth -= 1
                        if depth == 0:
                            break
                    close += 1
                if close >= b:
                    raise self.err("this '[' is never closed", j)
                out.append(f"[{self._int_expr(j + 1, close, env)}]")
                j = close
            elif t in self.scalar_bits or t in self.scalar_qubits:
                nxt = self.tok(j + 1)
                out.append(t if nxt == "[" else f"{t}[0]")
            else:
                out.append(_RENAME.get(t, t) if j == a else t)  # a gate name leads
            j += 1
        return " ".join(out)

    def _int_expr(self, a: int, b: int, env: dict[str, int]) -> int:
        parts = []
        for j in range(a, b):
            t = self.toks[j].text
            if t in env:
                parts.append(str(env[t]))
            elif t.isdigit() or t in ("+", "-", "*", "/", "%", "(", ")"):
                parts.append("//" if t == "/" else t)
            elif t == ":":
                raise self.err("register slices (q[a:b]) are not in the supported subset", j)
            else:
                raise self.err(f"an index must be an integer expression, got {t!r}", j)
        if not parts:
            raise self.err("empty index", a)
        try:
            value = _arith(ast.parse("".join(parts), mode="eval").body)
        except (SyntaxError, ValueError, ZeroDivisionError) as exc:
            raise self.err(f"cannot evaluate index {' '.join(parts)!r}: {exc}", a) from exc
        if not isinstance(value, int) or value < 0:
            raise self.err(f"index {' '.join(parts)} is not a non-negative integer", a)
        return value

    # -------------------------------------------------------- statements
    def run(self) -> str:
        k = 0
        if self.tok(0) != "OPENQASM":
            raise self.err("an OpenQASM 3 program starts with 'OPENQASM 3;'", 0)
        k = self.expect(2, ";", "after the version") if self.tok(1) else 1
        self.emit(0, "OPENQASM 2.0;")
        if self.phys is not None:
            self.emit(0, f"qreg {self.phys}[{self.phys_size}];")
            self.first_qubit = f"{self.phys}[0]"
        self.block(k, len(self.toks), {}, None)
        lines = max(self.out, default=1)
        return "\n".join(" ".join(self.out.get(i, [])) for i in range(1, lines + 1)) + "\n"

    def block(self, a: int, b: int, env: dict[str, int], cond: str | None) -> None:
        k = a
        while k < b:
            k = self.statement(k, env, cond)

    def statement(self, k: int, env: dict[str, int], cond: str | None) -> int:
        t = self.tok(k)
        prefix = f"if ({cond}) " if cond else ""
        if t in _UNSUPPORTED:
            what = _UNSUPPORTED[t]
            if t == "delay":  # timing only: no effect on the simulated state
                return self.statement_end(k) + 1
            raise self.err(f"OpenQASM 3 {what} ({t!r}) are not in the supported subset", k)
        if t.startswith("$"):
            raise self.err(f"expected a statement, got the physical qubit {t!r}", k)
        if t in self.phase_gates:
            return self.phase_call(k, self.first_qubit, env, prefix)
        if t == "include":
            end = self.statement_end(k)
            name = self.tok(k + 1)
            if cond:
                raise self.err("include inside a block", k)
            if name == '"stdgates.inc"':
                self.emit(k, 'include "qelib1.inc";')
            else:
                self.emit(k, f"include {name};")
            return end + 1
        if t in ("qubit", "bit", "qreg", "creg"):
            if cond or env:
                raise self.err(f"'{t}' declarations belong at the top level", k)
            return self.declaration(k)
        if t == "input":
            if cond or env:
                raise self.err("'input' declarations belong at the top level", k)
            return self.input_declaration(k)
        if t == "gate":
            if cond or env:
                raise self.err("gate definitions belong at the top level", k)
            open_ = k
            while open_ < len(self.toks) and self.tok(open_) != "{":
                open_ += 1
            close = self.block_end(open_)
            head = [self.tok(x) for x in range(k + 1, open_)]
            if ")" in head:
                params = [x for x in head[2 : head.index(")")] if x != ","]
                head = head[head.index(")") + 1 :]
            else:
                params = []
                head = head[1:]
            if not head:  # a gate on no qubits: a global phase
                self.phase_gate(k, params, open_ + 1, close)
                return close + 1
            self.emit(k, self.text(k, open_ + 1, {}))
            self.block_body_gate(open_ + 1, close, head[0])
            self.emit(close, "}")
            return close + 1
        if t == "if":
            return self.if_statement(k, env, cond)
        if t == "for":
            return self.for_loop(k, env, cond)
        if t == "gphase":
            if self.first_qubit is None:
                raise self.err("gphase before any qubit is declared", k)
            return self.gphase(k, self.first_qubit, env, prefix)
        end = self.statement_end(k)
        if self.tok(k + 1) == "=" or (
            self.tok(k + 1) == "[" and "=" in [x.text for x in self.toks[k:end]]
        ):
            eq = next(j for j in range(k, end) if self.tok(j) == "=")
            if self.tok(eq + 1) != "measure":
                raise self.err(
                    "classical assignments other than '= measure' are not in the supported subset",
                    eq,
                )
            target = self.text(k, eq, env)
            source = self.text(eq + 2, end, env)
            self.emit(k, f"{prefix}measure {source} -> {target};")
            return end + 1
        self.emit(k, f"{prefix}{self.text(k, end, env)};")
        return end + 1

    def gphase(self, k: int, qubit: str, env: dict[str, int], prefix: str) -> int:
        """``gphase(theta)`` as ``p(theta) x p(theta) x`` on ``qubit``: exactly
        ``e^{i theta} I``, so amplitudes keep their phase."""
        end = self.statement_end(k)
        if self.tok(k + 1) != "(" or self.tok(end - 1) != ")":
            raise self.err("expected 'gphase(angle);'", k)
        self.emit_phase(k, qubit, self.text(k + 2, end - 1, env), prefix)
        return end + 1

    def emit_phase(self, k: int, qubit: str, angle: str, prefix: str) -> None:
        self.emit(
            k, " ".join(f"{prefix}{g} {qubit};" for g in (f"p({angle})", "x", f"p({angle})", "x"))
        )

    def call_args(self, k: int, end: int) -> list[list[str]]:
        """The parenthesised arguments of the call at k (ending at ';' = end), as
        token lists; [] without parentheses."""
        if k + 1 == end:
            return []
        if self.tok(k + 1) != "(" or self.tok(end - 1) != ")":
            raise self.err(f"expected '{self.tok(k)}(angle, ...);' (a gate on no qubits)", k)
        args: list[list[str]] = [[]]
        depth = 0
        for j in range(k + 2, end - 1):
            t = self.tok(j)
            depth += (t == "(") - (t == ")")
            if t == "," and depth == 0:
                args.append([])
            else:
                args[-1].append(t)
        return [] if args == [[]] else args

    def phase_angles(self, k: int, end: int, env: dict[str, int]) -> list[list[str]]:
        """The gphase angles (token lists) the call of a no-qubit gate at k stands for."""
        name = self.tok(k)
        params, angles = self.phase_gates[name]
        args = self.call_args(k, end)
        if len(args) != len(params):
            raise self.err(f"gate {name!r} takes {len(params)} parameter(s), got {len(args)}", k)
        sub = {
            p: ["("] + [str(env.get(x, x)) for x in a] + [")"]
            for p, a in zip(params, args, strict=True)
        }
        return [[x for t in angle for x in sub.get(t, [t])] for angle in angles]

    def phase_call(self, k: int, qubit: str | None, env: dict[str, int], prefix: str) -> int:
        """A call of a gate on no qubits: its global phases, on ``qubit``."""
        end = self.statement_end(k)
        if qubit is None:
            raise self.err(f"{self.tok(k)!r} (a global phase) before any qubit is declared", k)
        for angle in self.phase_angles(k, end, env):
            self.emit_phase(k, qubit, " ".join(angle), prefix)
        return end + 1

    def phase_gate(self, k: int, params: list[str], a: int, b: int) -> None:
        """``gate name(params) { gphase(...); ... }``: a gate on no qubits, kept
        here and applied as its global phases. qiskit writes its GlobalPhaseGate
        as ``gate global_phase(p0) { }``: that one is ``gphase(p0)``."""
        name = self.tok(k + 1)
        angles: list[list[str]] = []
        j = a
        while j < b:
            end = self.statement_end(j)
            t = self.tok(j)
            if t == "gphase":
                if self.tok(j + 1) != "(" or self.tok(end - 1) != ")":
                    raise self.err("expected 'gphase(angle);'", j)
                angles.append([self.tok(x) for x in range(j + 2, end - 1)])
            elif t in self.phase_gates:
                angles.extend(self.phase_angles(j, end, {}))
            else:
                raise self.err(
                    f"gate {name!r} acts on no qubits: its body can only apply gphase, got {t!r}", j
                )
            j = end + 1
        if name == "global_phase" and len(params) == 1 and not angles:
            angles = [[params[0]]]
        self.phase_gates[name] = (params, angles)

    def block_body_gate(self, a: int, b: int, first_arg: str) -> None:
        k = a
        while k < b:
            if self.tok(k) == "gphase":
                k = self.gphase(k, first_arg, {}, "")
                continue
            if self.tok(k) in self.phase_gates:
                k = self.phase_call(k, first_arg, {}, "")
                continue
            end = self.statement_end(k)
            for j in range(k, end):
                if self.tok(j).startswith("$"):
                    raise self.err("a gate body acts on its arguments, not on physical qubits", j)
            self.emit(k, self.text(k, end, {}) + ";")
            k = end + 1

    def input_declaration(self, k: int) -> int:
        """``input float[64] theta;`` (or ``input float theta;``, ``input angle``):
        a parameter of the circuit, left symbolic."""
        end = self.statement_end(k)
        kind = self.tok(k + 1)
        if kind not in ("float", "angle"):
            raise self.err(
                f"input of type {kind!r}: tensorbond reads 'input float' and 'input angle' "
                "parameters only",
                k + 1,
            )
        j = k + 2
        if self.tok(j) == "[":
            while j < end and self.tok(j) != "]":
                j += 1
            j += 1
        name = self.tok(j)
        if j + 1 != end or not re.match(r"[A-Za-z_][A-Za-z0-9_]*$", name):
            raise self.err(f"expected 'input {kind}[...] name;'", j)
        if name in _RESERVED_INPUT_NAMES:
            # the reader would take it for its constant or function, silently
            raise self.err(f"input {name!r} has the name of a constant or function", j)
        if name in self.inputs:
            raise self.err(f"input {name!r} is declared twice", j)
        self.inputs.append(name)
        return end + 1

    def declaration(self, k: int) -> int:
        t = self.tok(k)
        end = self.statement_end(k)
        if self.phys is not None and t in ("qubit", "qreg"):
            j = self.phys_first
            raise self.err(
                f"the program declares qubits and also uses the physical "
                f"qubit {self.tok(j)} (line {self.toks[j].line}): use one "
                "or the other",
                k,
            )
        if t in ("qreg", "creg"):
            self.emit(k, self.text(k, end, {}) + ";")
            if t == "creg":
                self.cregs[self.tok(k + 1)] = 0
            elif self.first_qubit is None:
                self.first_qubit = f"{self.tok(k + 1)}[0]"
            return end + 1
        kind = "qreg" if t == "qubit" else "creg"
        if self.tok(k + 1) == "[":
            size = self.tok(k + 2)
            self.expect(k + 3, "]", f"after '{t}[{size}'")
            name = self.tok(k + 4)
            if k + 5 != end:
                raise self.err(f"expected ';' after '{t}[{size}] {name}'", k + 5)
            self.emit(k, f"{kind} {name}[{size}];")
            if kind == "qreg" and self.first_qubit is None:
                self.first_qubit = f"{name}[0]"
        else:
            name = self.tok(k + 1)
            if k + 2 != end:
                raise self.err(
                    f"expected ';' after '{t} {name}' (initializers are not in "
                    "the supported subset)",
                    k + 2,
                )
            (self.scalar_qubits if t == "qubit" else self.scalar_bits).add(name)
            self.emit(k, f"{kind} {name}[1];")
            if kind == "qreg" and self.first_qubit is None:
                self.first_qubit = f"{name}[0]"
        if kind == "creg":
            self.cregs[name] = 0
        return end + 1

    def condition(self, k: int, env: dict[str, int]) -> tuple[str, str | None, int]:
        """``if ( ... )`` at k: the condition as OpenQASM 2(+bit) text, its negation
        (None where it has none), and the index after ')'."""
        k = self.expect(k + 1, "(", "after 'if'")
        close = k
        depth = 1
        while close < len(self.toks):
            if self.tok(close) == "(":
                depth += 1
            elif self.tok(close) == ")":
                depth -= 1
                if depth == 0:
                    break
            close += 1
        toks = [x.text for x in self.toks[k:close]]
        negate = bool(toks) and toks[0] == "!"
        if negate:
            toks = toks[1:]
            k += 1
        # name, name[i] with optional == / != value
        if not toks or toks[0] not in self.cregs:
            raise self.err("'if' tests a classical register or bit (c, c[i])", k)
        name = toks[0]
        j = 1
        bit = None
        if j < len(toks) and toks[j] == "[":
            end = toks.index("]", j)
            bit = self._int_expr(k + j + 1, k + end, env)
            j = end + 1
        elif name in self.scalar_bits:
            bit = 0
        if j == len(toks):
            if bit is None:
                raise self.err(f"'if ({name})' needs a comparison with a value", k)
            op, value = "==", 1
        else:
            op = toks[j]
            if op not in ("==", "!=") or j + 2 != len(toks) or not toks[j + 1].isdigit():
                raise self.err(
                    "an 'if' condition compares a register or bit with == or != and an integer",
                    k + j,
                )
            value = int(toks[j + 1])
        if negate:
            op = "!=" if op == "==" else "=="
        target = name if bit is None else f"{name}[{bit}]"
        if op == "!=":
            if bit is None:
                raise self.err(
                    "'!=' on a whole register is not in the supported subset "
                    "(use == with each value)",
                    k,
                )
            value = 1 - value
        text = f"{target} == {value}"
        neg = f"{target} == {1 - value}" if bit is not None else None
        return text, neg, close + 1

    def if_statement(self, k: int, env: dict[str, int], cond: str | None) -> int:
        if cond:
            raise self.err("nested 'if' statements are not in the supported subset", k)
        text, neg, k2 = self.condition(k, env)
        if self.tok(k2) == "{":
            close = self.block_end(k2)
            self.block(k2 + 1, close, env, text)
            nxt = close + 1
        else:
            nxt = self.statement(k2, env, text)
        if self.tok(nxt) == "else":
            if neg is None:
                raise self.err(
                    "'else' after a whole-register condition is not in the supported subset", nxt
                )
            if self.tok(nxt + 1) == "{":
                close = self.block_end(nxt + 1)
                self.block(nxt + 2, close, env, neg)
                return close + 1
            return self.statement(nxt + 1, env, neg)
        return nxt

    def for_loop(self, k: int, env: dict[str, int], cond: str | None) -> int:
        j = k + 1
        if self.tok(j) in ("uint", "int"):
            j += 1
        var = self.tok(j)
        if not re.match(r"[A-Za-z_]\w*$", var):
            raise self.err("expected a loop variable after 'for'", j)
        j = self.expect(j + 1, "in", f"after 'for {var}'")
        values: list[int]
        if self.tok(j) == "[":
            close = j
            while self.tok(close) != "]":
                close += 1
                if close >= len(self.toks):
                    raise self.err("this '[' is never closed", j)
            parts: list[list[int]] = [[]]
            for x in range(j + 1, close):
                if self.tok(x) == ":":
                    parts.append([])
                else:
                    parts[-1].append(x)
            bounds = [self._int_expr(p[0], p[-1] + 1, env) if p else None for p in parts]
            ints = [b for b in bounds if b is not None]  # all of them if none is empty
            if len(bounds) == 2 and len(ints) == 2:
                start, step, stop = ints[0], 1, ints[1]
            elif len(bounds) == 3 and len(ints) == 3:
                start, step, stop = ints[0], ints[1], ints[2]
            else:
                raise self.err("a loop range is [start:stop] or [start:step:stop]", j)
            if step == 0:
                raise self.err("a loop step of 0 never ends", j)
            span = range(start, stop + (1 if step > 0 else -1), step)  # inclusive
            if len(span) > _MAX_LOOP:
                raise self.err(f"the loop runs {len(span)} times; at most {_MAX_LOOP:,}", k)
            values = list(span)
            j = close + 1
        elif self.tok(j) == "{":
            close = self.block_end(j)
            values = []
            group: list[int] = []
            for x in range(j + 1, close + 1):
                if self.tok(x) in (",", "}"):
                    if group:
                        values.append(self._int_expr(group[0], group[-1] + 1, env))
                    group = []
                else:
                    group.append(x)
            j = close + 1
        else:
            raise self.err("a loop runs over [a:b], [a:step:b] or {v, ...}", j)
        if len(values) > _MAX_LOOP:
            raise self.err(f"the loop runs {len(values)} times; at most {_MAX_LOOP:,}", k)
        close = self.block_end(j) if self.tok(j) == "{" else self.statement_end(j)
        # Refuse before unrolling: enclosing loops multiply this body's statements.
        body = max(1, sum(self.tok(x) == ";" for x in range(j, close + 1)))
        if self.repeat * len(values) * body > MAX_OPERATIONS:
            raise self.err(f"the program unrolls to more than {MAX_OPERATIONS:,} statements", k)
        self.repeat *= max(1, len(values))
        try:
            for v in values:
                if self.tok(j) == "{":
                    self.block(j + 1, close, {**env, var: v}, cond)
                else:
                    self.statement(j, {**env, var: v}, cond)
        finally:
            self.repeat //= max(1, len(values))
        return close + 1


def translate_qasm3(text: str, filename: str = "<string>") -> str:
    """The OpenQASM 2 program equivalent to an OpenQASM 3 one (same line numbers).

    Raises
    ------
    QasmError
        Syntax outside the supported subset, with line and column.
    """
    return translate_with_inputs(text, filename)[0]


def translate_with_inputs(text: str, filename: str = "<string>") -> tuple[str, list[str]]:
    """:func:`translate_qasm3`, and the names of the program's ``input`` parameters
    (to be read as symbols by the OpenQASM 2 reader).

    Raises
    ------
    QasmError
        Syntax outside the supported subset, with line and column.
    """
    translator = _Translator(_tokenize(text, filename), filename)
    out = translator.run()
    return out, list(translator.inputs)
