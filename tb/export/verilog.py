"""Module headers, instantiations and `$readmem` calls of Verilog sources, without a frontend.

`llama-dv describe` needs only what a Vitis HLS export's files declare at module level:
each module's ports (ANSI or the non-ANSI style Vitis writes), the parameters their
widths use, which modules it instantiates (with parameter overrides and connections)
and the memory-init files it reads. That is a small, regular subset of Verilog-2001 /
SystemVerilog, so a hand-written lexer and scanner cover it with no new dependency;
anything outside the subset a port width needs fails naming the file and line.
Compiler directives are skipped (every `ifdef branch is read) and macros are not
expanded: Vitis writes neither around module headers.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence


class VerilogError(ValueError):
    """A source could not be read as the subset describe understands; names file and line."""


@dataclass(frozen=True)
class Token:
    kind: str  # id | sys | num | str | op | macro
    text: str
    line: int


@dataclass(frozen=True)
class Port:
    """One top-level port: `direction` is input/output/inout, `width` in bits."""

    name: str
    direction: str
    width: int
    line: int


@dataclass(frozen=True)
class Instance:
    """A module instantiation: parameter overrides and port connections as expression tokens."""

    module: str
    name: str
    parameters: Mapping[str, tuple[Token, ...]]
    connections: Mapping[str, tuple[Token, ...]]
    line: int


@dataclass(frozen=True)
class ReadMem:
    """A `$readmemh` / `$readmemb` call; `target` is the file name it reads (None: not a constant)."""

    task: str
    target: str | None
    line: int


@dataclass
class Module:
    """What describe reads of one `module ... endmodule`."""

    name: str
    path: Path
    line: int
    ports: tuple[Port, ...]
    parameters: dict[str, tuple[Token, ...]]
    header_parameters: tuple[str, ...]
    instances: tuple[Instance, ...]
    readmems: tuple[ReadMem, ...]
    attributes: tuple[str, ...]
    comments: tuple[tuple[int, str], ...]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def value(self, name: str) -> int | float | str:
        """Value of parameter `name` with its default (and other parameters') value."""
        return evaluate(self.parameters[name], self._lookup(), f"{self.path}", f"parameter {name}")

    def parameter_values(self, names: Sequence[str]) -> dict[str, int | float | str]:
        return {n: self.value(n) for n in names}

    def _lookup(self) -> Callable[[str, int], int | float | str]:
        active: set[str] = set()

        def lookup(name: str, line: int) -> int | float | str:
            if name not in self.parameters:
                raise VerilogError(f"{self.path}:{line}: {name!r} is not a parameter of module {self.name}")
            if name in active:
                raise VerilogError(f"{self.path}:{line}: parameter {name} depends on itself")
            active.add(name)
            try:
                return evaluate(self.parameters[name], lookup, str(self.path), f"parameter {name}")
            finally:
                active.discard(name)

        return lookup

    def evaluate(self, tokens: Sequence[Token], what: str) -> int | float | str:
        """Evaluate a constant expression of this module (port ranges, instance overrides)."""
        return evaluate(tokens, self._lookup(), str(self.path), what)


# --- lexer ---------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<attr>\(\*(?!\s*\))(?P<attrbody>.*?)\*\))
  | (?P<str>"(?:\\.|[^"\\\n])*")
  | (?P<directive>`[A-Za-z_]\w*)
  | (?P<num>(?:\d[\d_]*\s*)?'[sS]?[bBoOdDhH]\s*[0-9a-fA-FxXzZ?_]+|'[01xXzZ]|\d[\d_]*\.\d[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*[eE][+-]?\d+|\d[\d_]*)
  | (?P<sys>\$[A-Za-z_][\w$]*)
  | (?P<id>[A-Za-z_][\w$]*|\\\S+)
  | (?P<op>===|!==|<<<|>>>|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||\+:|-:|::|->|[-+*/%&|^~!<>=?:;,.#@()\[\]{}'])
""", re.VERBOSE | re.DOTALL)

_LINE_DIRECTIVES = {"timescale", "define", "undef", "undefineall", "ifdef", "ifndef", "elsif", "else",
                    "endif", "include", "resetall", "default_nettype", "celldefine", "endcelldefine",
                    "pragma", "line", "begin_keywords", "end_keywords", "nounconnected_drive",
                    "unconnected_drive"}


@dataclass
class Lexed:
    tokens: list[Token]
    comments: list[tuple[int, str]]
    attributes: list[tuple[int, str]]  # (index of the next token, attribute text)


def lex(text: str, path: Path) -> Lexed:
    """Tokens of `text` with comments and `(* *)` attributes set aside (with their lines)."""
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(newlines, pos - 1) + 1 if newlines else 1

    tokens: list[Token] = []
    comments: list[tuple[int, str]] = []
    attributes: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise VerilogError(f"{path}:{line_of(pos)}: cannot read {text[pos:pos + 20]!r}")
        kind = "attr" if m.group("attr") is not None else m.lastgroup
        start = m.start()
        if kind == "attr" and tokens and tokens[-1].text == "@":
            # `@(* )` is an event control, not an attribute: take the bracket alone.
            tokens.append(Token("op", "(", line_of(start)))
            pos += 1
            continue
        if kind in ("lcomment", "bcomment"):
            comments.append((line_of(start), m.group(0)))
        elif kind == "attr":
            attributes.append((len(tokens), m.group("attrbody")))
        elif kind == "directive":
            name = m.group(0)[1:]
            if name in _LINE_DIRECTIVES:
                end = start
                while True:  # a `define may continue over backslash-newline
                    nl = text.find("\n", end)
                    if nl < 0:
                        end = len(text)
                        break
                    if text[nl - 1] == "\\" and name == "define":
                        end = nl + 1
                        continue
                    end = nl
                    break
                pos = end
                continue
            tokens.append(Token("macro", m.group(0), line_of(start)))
        elif kind != "ws":
            tokens.append(Token(kind, m.group(0), line_of(start)))
        pos = m.end()
    return Lexed(tokens, comments, attributes)


# --- constant expressions -----------------------------------------------------------------

_BASES = {"b": 2, "o": 8, "d": 10, "h": 16}


def number_value(text: str) -> int | float | None:
    """Value of a Verilog number literal (None when it has x/z/? digits)."""
    t = text.replace("_", "").replace(" ", "").replace("\t", "")
    if "'" not in t:
        return float(t) if any(c in t for c in ".eE") else int(t)
    size_text, rest = t.split("'", 1)
    if rest in ("0", "1"):
        return int(rest)
    if rest.lower() in ("x", "z"):
        return None
    signed = rest[:1] in ("s", "S")
    if signed:
        rest = rest[1:]
    base, digits = _BASES[rest[0].lower()], rest[1:]
    if any(c in "xXzZ?" for c in digits):
        return None
    value = int(digits, base)
    if size_text:
        size = int(size_text)
        value &= (1 << size) - 1
        if signed and value >> (size - 1):
            value -= 1 << size
    return value


_BINARY = [  # lowest precedence first
    ("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!=", "===", "!=="),
    ("<", "<=", ">", ">="), ("<<", ">>", "<<<", ">>>"), ("+", "-"), ("*", "/", "%"), ("**",),
]


def _clog2(v: int) -> int:
    return max(0, (int(v) - 1).bit_length())


def evaluate(tokens: Sequence[Token], lookup: Callable[[str, int], int | float | str],
             where: str, what: str) -> int | float | str:
    """Value of a constant expression (parameters through `lookup`); VerilogError names `what`."""
    toks = list(tokens)
    if not toks:
        raise VerilogError(f"{where}: {what}: empty expression")
    line = toks[0].line
    text = " ".join(t.text for t in toks)
    pos = 0

    def fail(why: str) -> VerilogError:
        return VerilogError(f"{where}:{line}: {what}: cannot evaluate {text!r}: {why}")

    def peek() -> str | None:
        return toks[pos].text if pos < len(toks) else None

    def take(expected: str | None = None) -> Token:
        nonlocal pos
        if pos >= len(toks):
            raise fail("unexpected end")
        tok = toks[pos]
        if expected is not None and tok.text != expected:
            raise fail(f"expected {expected!r}, found {tok.text!r}")
        pos += 1
        return tok

    def primary() -> int | float | str:
        tok = take()
        if tok.text == "(":
            value = ternary()
            take(")")
            return value
        if tok.text == "{":
            raise fail("concatenations are not supported")
        if tok.kind == "num":
            value = number_value(tok.text)
            if value is None:
                raise fail(f"{tok.text} has x/z bits")
            return value
        if tok.kind == "str":
            return bytes(tok.text[1:-1], "utf-8").decode("unicode_escape")
        if tok.kind == "id":
            return lookup(tok.text, tok.line)
        if tok.kind == "sys" and tok.text == "$clog2":
            take("(")
            value = ternary()
            take(")")
            return _clog2(int(value))
        if tok.kind == "macro":
            raise fail(f"macro {tok.text} is not expanded by describe")
        raise fail(f"unexpected {tok.text!r}")

    def unary() -> int | float | str:
        op = peek()
        if op in ("+", "-", "~", "!"):
            take()
            value = unary()
            if not isinstance(value, (int, float)):
                raise fail(f"{op} on a string")
            if op == "-":
                return -value
            if op == "~":
                return ~int(value)
            if op == "!":
                return int(not value)
            return value
        return primary()

    def binary(level: int) -> int | float | str:
        if level == len(_BINARY):
            return unary()
        left = binary(level + 1)
        while peek() in _BINARY[level]:
            op = take().text
            right = binary(level + 1) if op != "**" else binary(level)
            left = _apply(op, left, right, fail)
        return left

    def ternary() -> int | float | str:
        cond = binary(0)
        if peek() == "?":
            take()
            a = ternary()
            take(":")
            b = ternary()
            return a if cond else b
        return cond

    value = ternary()
    if pos != len(toks):
        raise fail(f"unexpected {toks[pos].text!r}")
    return value


def _apply(op: str, a: object, b: object, fail: Callable[[str], VerilogError]) -> int | float:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        raise fail(f"{op} on a string")
    if op in ("/", "%") and b == 0:
        raise fail("division by zero")
    both_int = isinstance(a, int) and isinstance(b, int)
    ops: dict[str, Callable[[], int | float]] = {
        "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
        "/": lambda: (int(a / b) if both_int else a / b), "%": lambda: int(a) % int(b),
        "**": lambda: a ** b, "<<": lambda: int(a) << int(b), ">>": lambda: int(a) >> int(b),
        "<<<": lambda: int(a) << int(b), ">>>": lambda: int(a) >> int(b),
        "<": lambda: int(a < b), "<=": lambda: int(a <= b), ">": lambda: int(a > b),
        ">=": lambda: int(a >= b), "==": lambda: int(a == b), "!=": lambda: int(a != b),
        "===": lambda: int(a == b), "!==": lambda: int(a != b),
        "&": lambda: int(a) & int(b), "|": lambda: int(a) | int(b), "^": lambda: int(a) ^ int(b),
        "&&": lambda: int(bool(a) and bool(b)), "||": lambda: int(bool(a) or bool(b)),
    }
    return ops[op]()


# --- module scanner -------------------------------------------------------------------------

KEYWORDS = frozenset("""
    always always_comb always_ff always_latch and assert assign assume automatic begin bit buf bufif0
    bufif1 byte case casex casez cell chandle class const continue cover deassign default defparam
    design disable do edge else end endcase endclass endfunction endgenerate endinterface endmodule
    endpackage endprimitive endprogram endspecify endtable endtask enum event export extern final for
    force foreach forever fork function generate genvar highz0 highz1 if iff ifnone import initial inout
    input int integer interface join join_any join_none large localparam logic longint macromodule
    medium modport module nand negedge nmos nor not notif0 notif1 or output package packed parameter
    pmos posedge primitive priority program property pull0 pull1 pulldown pullup rcmos real realtime
    reg release repeat return rnmos rpmos rtran rtranif0 rtranif1 scalared sequence shortint shortreal
    signed small specify specparam static string strong0 strong1 struct supply0 supply1 table task time
    tran tranif0 tranif1 tri tri0 tri1 triand trior trireg type typedef union unique unsigned uwire var
    vectored void wait wand weak0 weak1 while wire wor xnor xor
""".split())

_DIRECTIONS = ("input", "output", "inout")
_TYPE_WORDS = {"wire", "reg", "logic", "var", "tri", "tri0", "tri1", "wand", "wor", "uwire", "supply0",
               "supply1", "signed", "unsigned", "bit", "integer", "int", "byte", "shortint", "longint",
               "time", "real", "string", "scalared", "vectored", "interconnect"}
_FIXED_WIDTHS = {"integer": 32, "int": 32, "byte": 8, "shortint": 16, "longint": 64, "time": 64}
_SKIP_BLOCKS = {"function": "endfunction", "task": "endtask", "specify": "endspecify",
                "class": "endclass", "covergroup": "endgroup", "property": "endproperty",
                "sequence": "endsequence"}


def _close(tokens: Sequence[Token], i: int, path: Path) -> int:
    """Index of the bracket closing the one at `i`."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[tokens[i].text]]
    j = i + 1
    while j < len(tokens):
        t = tokens[j].text
        if tokens[j].kind == "op":
            if t in pairs:
                stack.append(pairs[t])
            elif t in (")", "]", "}"):
                if t != stack[-1]:
                    raise VerilogError(f"{path}:{tokens[j].line}: unbalanced {t!r} "
                                       f"(opened at line {tokens[i].line})")
                stack.pop()
                if not stack:
                    return j
        j += 1
    raise VerilogError(f"{path}:{tokens[i].line}: {tokens[i].text!r} is never closed")


def _split_commas(tokens: Sequence[Token]) -> list[list[Token]]:
    """`tokens` split at top-level commas."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
        if depth == 0 and t.kind == "op" and t.text == ",":
            parts.append([])
        else:
            parts[-1].append(t)
    return parts if parts != [[]] else []


@dataclass
class _Decl:
    """A port declaration's type part: direction, packed ranges (token lists) and fixed width."""

    direction: str
    ranges: list[tuple[list[Token], list[Token]]]
    fixed: int | None


def _parse_decl_type(toks: list[Token], path: Path, direction: str) -> tuple[_Decl, list[Token]]:
    """Consume type words and packed ranges after a direction; return the rest (the names)."""
    ranges: list[tuple[list[Token], list[Token]]] = []
    fixed: int | None = None
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "id" and t.text in _TYPE_WORDS:
            fixed = _FIXED_WIDTHS.get(t.text, fixed)
            i += 1
        elif t.text == "[":
            j = _close(toks, i, path)
            inner = toks[i + 1:j]
            colon = [k for k, x in enumerate(inner) if x.text == ":" and _depth_at(inner, k) == 0]
            if len(colon) != 1:
                raise VerilogError(f"{path}:{t.line}: cannot read the range "
                                   f"[{' '.join(x.text for x in inner)}]")
            ranges.append((inner[:colon[0]], inner[colon[0] + 1:]))
            i = j + 1
        else:
            break
    return _Decl(direction, ranges, fixed), toks[i:]


def _depth_at(toks: Sequence[Token], k: int) -> int:
    depth = 0
    for t in toks[:k]:
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
    return depth


def _width(module: Module, decl: _Decl, port: str, line: int) -> int:
    """Bits of a port: the product of its packed ranges (with the module's default parameters)."""
    width = 1
    for msb_t, lsb_t in decl.ranges:
        msb = module.evaluate(msb_t, f"range of port {port}")
        lsb = module.evaluate(lsb_t, f"range of port {port}")
        if not isinstance(msb, int) or not isinstance(lsb, int):
            raise VerilogError(f"{module.path}:{line}: port {port}: range bounds are not integers "
                               f"({msb!r}:{lsb!r})")
        width *= abs(msb - lsb) + 1
    if not decl.ranges and decl.fixed is not None:
        width = decl.fixed
    return width


def _parameter_list(toks: list[Token], table: dict[str, tuple[Token, ...]], names: list[str],
                    path: Path) -> None:
    """`[parameter|localparam] [type] [range] A = e {, [parameter] B = e}` into `table`."""
    for part in _split_commas(toks):
        i = 0
        while i < len(part) and (part[i].text in ("parameter", "localparam", "type")
                                 or part[i].text in _TYPE_WORDS):
            i += 1
        while i < len(part) and part[i].text == "[":
            i = _close(part, i, path) + 1
        rest = part[i:]
        if not rest:
            continue
        if len(rest) < 3 or rest[0].kind != "id" or rest[1].text != "=":
            if len(rest) == 1 and rest[0].kind == "id":  # a parameter without a default
                table[rest[0].text] = ()
                names.append(rest[0].text)
                continue
            raise VerilogError(f"{path}:{part[0].line}: cannot read the parameter declaration "
                               f"`{' '.join(t.text for t in part)}`")
        table[rest[0].text] = tuple(rest[2:])
        names.append(rest[0].text)


def parse_modules(path: Path, text: str | None = None) -> list[Module]:
    """Every module declared in the file `path`."""
    if text is None:
        try:
            text = path.read_text(errors="replace")
        except OSError as exc:
            raise VerilogError(f"{path}: cannot read: {exc.strerror}") from exc
    lexed = lex(text, path)
    toks = lexed.tokens
    attrs_at: dict[int, list[str]] = {}
    for idx, body in lexed.attributes:
        attrs_at.setdefault(idx, []).append(body)
    modules: list[Module] = []
    i = 0
    pending_attrs: list[str] = []
    while i < len(toks):
        pending_attrs += attrs_at.get(i, [])
        t = toks[i]
        if t.kind == "id" and t.text in ("module", "macromodule"):
            end = next((k for k in range(i, len(toks)) if toks[k].text == "endmodule"), None)
            if end is None:
                raise VerilogError(f"{path}:{t.line}: module without endmodule")
            mod_attrs = tuple(pending_attrs)
            pending_attrs = []
            modules.append(_module(toks[i:end], path, mod_attrs, lexed.comments, end_line=toks[end].line))
            i = end + 1
            continue
        if t.kind == "id" and t.text in ("endmodule", "endpackage", "endinterface"):
            pending_attrs = []
        i += 1
    return modules


def _module(toks: list[Token], path: Path, attributes: tuple[str, ...],
            comments: list[tuple[int, str]], end_line: int) -> Module:
    start_line = toks[0].line
    if len(toks) < 2 or toks[1].kind != "id":
        raise VerilogError(f"{path}:{start_line}: module without a name")
    name = toks[1].text
    i = 2
    params: dict[str, tuple[Token, ...]] = {}
    header_params: list[str] = []
    while i < len(toks) and toks[i].text == "import":  # package imports before the lists
        while i < len(toks) and toks[i].text != ";":
            i += 1
        i += 1
    if i < len(toks) and toks[i].text == "#":
        if i + 1 >= len(toks) or toks[i + 1].text != "(":
            raise VerilogError(f"{path}:{toks[i].line}: module {name}: expected #( after the name")
        j = _close(toks, i + 1, path)
        _parameter_list(toks[i + 2:j], params, header_params, path)
        i = j + 1
    header_ports: list[str] = []
    ansi_decls: list[tuple[str, _Decl, int]] = []
    if i < len(toks) and toks[i].text == "(":
        j = _close(toks, i, path)
        inner = toks[i + 1:j]
        decl: _Decl | None = None
        for part in _split_commas(inner):
            if not part:
                raise VerilogError(f"{path}:{toks[i].line}: module {name}: empty entry in the port list")
            if part[0].text in _DIRECTIONS:
                decl, rest = _parse_decl_type(part[1:], path, part[0].text)
            elif part[0].kind == "id" and decl is None and len(part) == 1:
                header_ports.append(part[0].text)
                continue
            elif decl is not None:
                rest = part  # `input [7:0] a, b`: b continues the previous declaration
                if rest and rest[0].text in _TYPE_WORDS | {"["}:
                    decl, rest = _parse_decl_type(rest, path, decl.direction)
            else:
                raise VerilogError(f"{path}:{part[0].line}: module {name}: cannot read the port list entry "
                                   f"`{' '.join(x.text for x in part)}`")
            if not rest or rest[0].kind != "id":
                raise VerilogError(f"{path}:{part[0].line}: module {name}: port declaration without a name")
            ansi_decls.append((rest[0].text, decl, rest[0].line))
        i = j + 1
    if i >= len(toks) or toks[i].text != ";":
        line = toks[i].line if i < len(toks) else start_line
        raise VerilogError(f"{path}:{line}: module {name}: expected ';' after the port list")
    body = toks[i + 1:]
    body_decls: dict[str, tuple[_Decl, int]] = {}
    instances: list[Instance] = []
    raw_readmems: list[tuple[str, list[Token], int]] = []
    k = 0
    while k < len(body):
        t = body[k]
        if t.kind == "id" and t.text in _SKIP_BLOCKS:
            closer = _SKIP_BLOCKS[t.text]
            prev = body[k - 1].text if k else ""
            if t.text in ("sequence", "property") and prev in ("assert", "cover", "assume"):
                k += 1
                continue
            end = next((m for m in range(k + 1, len(body)) if body[m].text == closer), None)
            if end is None:
                raise VerilogError(f"{path}:{t.line}: module {name}: {t.text} without {closer}")
            k = end + 1
            continue
        if t.kind == "id" and t.text in ("parameter", "localparam"):
            semi = _statement_end(body, k, path)
            _parameter_list(body[k:semi], params, [], path)
            k = semi + 1
            continue
        if t.kind == "id" and t.text in _DIRECTIONS:
            semi = _statement_end(body, k, path)
            decl, rest = _parse_decl_type(body[k + 1:semi], path, t.text)
            for part in _split_commas(rest):
                if not part or part[0].kind != "id":
                    raise VerilogError(f"{path}:{t.line}: module {name}: cannot read the port declaration")
                body_decls[part[0].text] = (decl, part[0].line)
            k = semi + 1
            continue
        if t.kind == "sys" and t.text in ("$readmemh", "$readmemb") and k + 1 < len(body) \
                and body[k + 1].text == "(":
            close = _close(body, k + 1, path)
            args = _split_commas(body[k + 2:close])
            raw_readmems.append((t.text, args[0] if args else [], t.line))
            k = close + 1
            continue
        inst = _instance_at(body, k, path)
        if inst is not None:
            found, k = inst
            instances.extend(found)
            continue
        k += 1
    module = Module(name=name, path=path, line=start_line, ports=(), parameters=params,
                    header_parameters=tuple(header_params), instances=tuple(instances),
                    readmems=(), attributes=attributes,
                    comments=tuple(c for c in comments if start_line <= c[0] <= end_line))
    module.readmems = tuple(ReadMem(task, _constant_string(module, arg), line)
                            for task, arg, line in raw_readmems)
    ports: list[Port] = []
    if ansi_decls:
        for pname, decl, line in ansi_decls:
            ports.append(Port(pname, decl.direction, _width(module, decl, pname, line), line))
    else:
        for pname in header_ports:
            if pname not in body_decls:
                raise VerilogError(f"{path}:{start_line}: module {name}: port {pname} has no "
                                   "input/output/inout declaration")
            decl, line = body_decls[pname]
            ports.append(Port(pname, decl.direction, _width(module, decl, pname, line), line))
    module.ports = tuple(ports)
    return module


def _constant_string(module: Module, tokens: Sequence[Token]) -> str | None:
    """The file name a `$readmem` argument names, if it is a constant string expression."""
    if not tokens:
        return None
    try:
        value = module.evaluate(tokens, "$readmem file name")
    except VerilogError:
        return None
    return value if isinstance(value, str) else None


def _statement_end(toks: Sequence[Token], k: int, path: Path) -> int:
    depth = 0
    for m in range(k, len(toks)):
        t = toks[m]
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
        elif depth == 0 and t.text == ";":
            return m
    raise VerilogError(f"{path}:{toks[k].line}: `{toks[k].text}` statement without ';'")


def _instance_at(body: list[Token], k: int, path: Path) -> tuple[list[Instance], int] | None:
    """Instances declared by `mod [#(...)] name [range] (...) {, name (...)};` starting at `k`."""
    t = body[k]
    if t.kind != "id" or t.text in KEYWORDS:
        return None
    prev = body[k - 1] if k else None
    if prev is not None and (prev.text in (".", "::", "#", "=", "<=") or
                             (prev.kind == "id" and prev.text not in KEYWORDS and
                              not (k >= 2 and body[k - 2].text == ":"))):
        return None
    j = k + 1
    overrides: dict[str, tuple[Token, ...]] = {}
    if j < len(body) and body[j].text == "#":
        if j + 1 >= len(body) or body[j + 1].text != "(":
            return None
        close = _close(body, j + 1, path)
        for pos, part in enumerate(_split_commas(body[j + 2:close])):
            if len(part) >= 3 and part[0].text == "." and part[1].kind == "id" and part[2].text == "(":
                overrides[part[1].text] = tuple(part[3:-1])
            else:
                overrides[f"#{pos}"] = tuple(part)
        j = close + 1
    found: list[Instance] = []
    while True:
        if j >= len(body) or body[j].kind != "id" or body[j].text in KEYWORDS:
            return None if not found else (found, j)
        inst_name = body[j].text
        j += 1
        while j < len(body) and body[j].text == "[":
            j = _close(body, j, path) + 1
        if j >= len(body) or body[j].text != "(":
            return None if not found else (found, j)
        close = _close(body, j, path)
        conns: dict[str, tuple[Token, ...]] = {}
        for pos, part in enumerate(_split_commas(body[j + 1:close])):
            if len(part) >= 3 and part[0].text == "." and part[1].kind == "id" and part[2].text == "(":
                conns[part[1].text] = tuple(part[3:-1])
            elif len(part) == 2 and part[0].text == "." and part[1].kind == "id":
                conns[part[1].text] = (part[1],)  # SystemVerilog `.name` connection
            else:
                conns[f"#{pos}"] = tuple(part)
        found.append(Instance(t.text, inst_name, overrides, conns, t.line))
        j = close + 1
        if j < len(body) and body[j].text == ",":
            j += 1
            continue
        if j < len(body) and body[j].text == ";":
            return found, j + 1
        return found, j
