"""Arithmetic expressions for rate laws and events, parsed by a grammar (never ``eval``).

An :class:`Expression` is an immutable syntax tree over numbers, names (parameters,
species, and ``t`` for time) and the operators and functions below::

    expr   := or
    or     := and ('||' and)*          and := cmp ('&&' cmp)*
    cmp    := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?
    sum    := prod (('+' | '-') prod)*  prod := unary (('*' | '/') unary)*
    unary  := ('-' | '+' | '!') unary | power
    power  := atom ('^' unary)?         (right-associative: a^b^c = a^(b^c))
    atom   := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'

Functions: ``exp``, ``log``, ``sqrt``, ``min``, ``max`` (two or more arguments),
``hill(X, v, K, n) = v X^n / (K^n + X^n)``, ``hillr(X, v, K, n) = v K^n / (K^n + X^n)``,
``piecewise(value, condition, otherwise)``. Comparisons and ``&&``, ``||``, ``!`` give
1.0 or 0.0 (event triggers, ``piecewise``). Nodes are tuples: ``("num", value)``,
``("name", id)``, ``(op, left, right)`` for ``+ - * / ^ < <= > >= == != && ||``,
``("neg", a)``, ``("not", a)`` and ``("call", function, args)``.

Examples
--------
>>> e = Expression.parse("Vmax * S / (Km + S)")
>>> e.names
('Vmax', 'S', 'Km')
>>> str(e.derivative("Km"))
'-(Vmax * S / (Km + S)^2)'
>>> float(e.evaluate({"Vmax": 2.0, "S": 3.0, "Km": 1.0}))
1.5
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: Binary operators with their precedence (higher binds tighter).
BINARY = {
    "||": 1, "&&": 2, "<": 3, "<=": 3, ">": 3, ">=": 3, "==": 3, "!=": 3,
    "+": 4, "-": 4, "*": 5, "/": 5, "^": 7,
}  # fmt: skip
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
FUNCTIONS = {"exp": 1, "log": 1, "sqrt": 1, "min": -2, "max": -2, "hill": 4, "hillr": 4}
FUNCTIONS["piecewise"] = 3
#: The name of time in expressions.
TIME = "t"

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>\|\||&&|<=|>=|==|!=|[-+*/^(),<>!]))"
)

Node = tuple


def tokenize(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` tokens of ``text``; a ``ValueError`` names the first bad character."""
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"unexpected character {text[pos:].strip()[:1]!r} in {text!r}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens of one expression (precedence climbing)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ValueError(f"unexpected end of expression {self.text!r}")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r} but found {token[1]!r} in {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise ValueError("empty expression")
        node = self.binary(1)
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.peek()!r} in {self.text!r}")
        return node

    def binary(self, level: int) -> Node:
        if level == 6:
            return self.unary()
        node = self.binary(level + 1)
        while (op := self.peek()) in BINARY and BINARY[op] == level and op != "^":
            self.take()
            node = (op, node, self.binary(level + 1))
            if level == 3 and self.peek() in COMPARISONS:
                raise ValueError(f"chained comparison in {self.text!r}: use && between them")
        return node

    def unary(self) -> Node:
        op = self.peek()
        if op in ("-", "+", "!"):
            self.take()
            operand = self.unary()
            return operand if op == "+" else (("neg" if op == "-" else "not"), operand)
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return ("^", base, self.unary())
        return base

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return ("num", float(text))
        if kind == "name":
            if self.peek() != "(":
                if text in FUNCTIONS:
                    raise ValueError(f"function {text!r} needs arguments in {self.text!r}")
                return ("name", text)
            return self.call(text)
        if text == "(":
            node = self.binary(1)
            self.take(")")
            return node
        raise ValueError(f"unexpected {text!r} in {self.text!r}")

    def call(self, name: str) -> Node:
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ValueError(f"unknown function {name!r} in {self.text!r}; known: {known}")
        self.take("(")
        args = [self.binary(1)]
        while self.peek() == ",":
            self.take()
            args.append(self.binary(1))
        self.take(")")
        arity = FUNCTIONS[name]
        if (arity > 0 and len(args) != arity) or (arity < 0 and len(args) < -arity):
            want = arity if arity > 0 else f"at least {-arity}"
            raise ValueError(f"{name} takes {want} arguments, got {len(args)} in {self.text!r}")
        if name in ("hill", "hillr") and args[0][0] != "name":
            raise ValueError(f"the first argument of {name} must be a species in {self.text!r}")
        if name in ("min", "max"):  # n-ary folds to nested binary calls
            node = ("call", name, (args[0], args[1]))
            for arg in args[2:]:
                node = ("call", name, (node, arg))
            return node
        return ("call", name, tuple(args))


def _names(node: Node, out: dict[str, None]) -> None:
    if node[0] == "name":
        out.setdefault(node[1])
    elif node[0] == "call":
        for arg in node[2]:
            _names(arg, out)
    elif node[0] != "num":
        for child in node[1:]:
            _names(child, out)


_PRINT_LEVEL = {**BINARY, "neg": 6, "not": 6}


def to_text(node: Node) -> str:
    """Text of ``node`` that :meth:`Expression.parse` reads back to the same tree."""
    kind = node[0]
    if kind == "num":
        value = node[1]
        return repr(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)
    if kind == "name":
        return node[1]
    if kind == "call":
        return f"{node[1]}({', '.join(to_text(a) for a in node[2])})"
    if kind in ("neg", "not"):
        inner = to_text(node[1])
        if node[1][0] in BINARY or node[1][0] == "num" and node[1][1] < 0:
            inner = f"({inner})"
        return ("-" if kind == "neg" else "!") + inner
    level = BINARY[kind]
    left, right = to_text(node[1]), to_text(node[2])
    lk, rk = node[1][0], node[2][0]
    if kind == "^":  # right-associative; a negated base needs parentheses
        if lk in _PRINT_LEVEL:
            left = f"({left})"
        if rk in BINARY and rk != "^":
            right = f"({right})"
        return f"{left}^{right}"
    if lk in _PRINT_LEVEL and _PRINT_LEVEL[lk] < level:
        left = f"({left})"
    if rk in BINARY and BINARY[rk] <= level and not (rk == "^"):
        right = f"({right})"
    return f"{left} {kind} {right}"


def _num(value: float) -> Node:
    return ("num", float(value))


def _is(node: Node, value: float) -> bool:
    return node[0] == "num" and node[1] == value


def add(a: Node, b: Node) -> Node:
    """``a + b``, folding numbers and zeros."""
    if a[0] == "num" and b[0] == "num":
        return _num(a[1] + b[1])
    if _is(a, 0.0):
        return b
    if _is(b, 0.0):
        return a
    if b[0] == "neg":
        return sub(a, b[1])
    return ("+", a, b)


def sub(a: Node, b: Node) -> Node:
    """``a - b``, folding numbers and zeros."""
    if a[0] == "num" and b[0] == "num":
        return _num(a[1] - b[1])
    if _is(b, 0.0):
        return a
    if _is(a, 0.0):
        return neg(b)
    return ("-", a, b)


def mul(a: Node, b: Node) -> Node:
    """``a * b``, folding numbers, zeros and ones."""
    if a[0] == "num" and b[0] == "num":
        return _num(a[1] * b[1])
    if _is(a, 0.0) or _is(b, 0.0):
        return _num(0.0)
    if _is(a, 1.0):
        return b
    if _is(b, 1.0):
        return a
    if a[0] == "neg":
        return neg(mul(a[1], b))
    if b[0] == "neg":
        return neg(mul(a, b[1]))
    return ("*", a, b)


def div(a: Node, b: Node) -> Node:
    """``a / b``, folding numbers, zeros and ones."""
    if a[0] == "num" and b[0] == "num" and b[1] != 0.0:
        return _num(a[1] / b[1])
    if _is(a, 0.0):
        return _num(0.0)
    if _is(b, 1.0):
        return a
    if a[0] == "neg":
        return neg(div(a[1], b))
    return ("/", a, b)


def power(a: Node, b: Node) -> Node:
    """``a ^ b``, folding numbers and the exponents 0 and 1."""
    if a[0] == "num" and b[0] == "num" and a[1] > 0:
        try:
            return _num(a[1] ** b[1])
        except OverflowError:  # too large to fold: kept as a power
            return ("^", a, b)
    if _is(b, 1.0):
        return a
    if _is(b, 0.0):
        return _num(1.0)
    return ("^", a, b)


def neg(a: Node) -> Node:
    """``-a``."""
    if a[0] == "num":
        return _num(-a[1])
    if a[0] == "neg":
        return a[1]
    return ("neg", a)


def call(name: str, *args: Node) -> Node:
    """A function call node."""
    return ("call", name, tuple(args))


def expand_hill(node: Node) -> Node:
    """``hill``/``hillr`` calls written out as ``v X^n / (K^n + X^n)`` (``K^n`` on top)."""
    if node[0] in ("num", "name"):
        return node
    if node[0] == "call":
        args = tuple(expand_hill(a) for a in node[2])
        if node[1] in ("hill", "hillr"):
            x, v, big_k, n = args
            xn, kn = power(x, n), power(big_k, n)
            return div(mul(v, xn if node[1] == "hill" else kn), add(kn, xn))
        return ("call", node[1], args)
    return (node[0], *(expand_hill(c) for c in node[1:]))


@dataclass(frozen=True)
class Expression:
    """An immutable parsed expression; equal when the trees are equal.

    Build one with :meth:`parse` (text) or from a tree.
    """

    tree: Node

    @classmethod
    def parse(cls, text: str) -> Expression:
        """Parse ``text`` by the grammar of the module documentation.

        Raises
        ------
        ValueError
            Naming the unexpected token, unknown function or wrong argument count.
        """
        if not isinstance(text, str):
            raise TypeError(f"an expression must be a str, got {type(text).__name__}")
        return cls(_Parser(text).parse())

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the expression reads, in order of first appearance."""
        out: dict[str, None] = {}
        _names(self.tree, out)
        return tuple(out)

    @property
    def time_dependent(self) -> bool:
        """Whether the expression reads the time ``t``."""
        return TIME in self.names

    def derivative(self, name: str) -> Expression:
        """The symbolic derivative with respect to ``name``."""
        from ._exprcalc import derivative

        return Expression(derivative(self.tree, name))

    def evaluate(self, env: Mapping[str, object]):
        """The value for the names in ``env`` (NumPy arrays broadcast)."""
        from ._exprcalc import evaluate

        return evaluate(self.tree, env)

    def __str__(self) -> str:
        return to_text(self.tree)
