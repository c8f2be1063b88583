"""Expressions lowered to the two forms the kernels evaluate: rational and bytecode.

*Rational form* (the fast path): a rate law that is a ratio of two polynomials in the
species and parameters, ``N / D``, each a sum of terms ``c * prod v^e`` (``c`` a number,
``v`` a species count or a parameter, ``e`` a positive integer). Mass action, Michaelis-
Menten, competitive inhibition, integer Hill exponents and sums of such terms are all
rational. The kernels evaluate it, and its derivative with respect to any parameter or
species, by loops over the terms, with no per-operation dispatch.

*Bytecode* (everything else: ``exp``, ``log``, ``sqrt``, ``min``, ``max``, real
exponents, comparisons, ``piecewise``, the time ``t``): a postfix program of
``(opcode, argument)`` pairs run on a small stack; its derivatives are the programs of
the symbolic derivatives (:func:`ssagrad._exprcalc.derivative`).

Variables are encoded as ``var >= 0``: ``theta[var]`` (parameters, then literals) and
``var < 0``: species ``-1 - var``.
"""

from __future__ import annotations

from collections.abc import Callable

from .expr import TIME, Node, expand_hill

#: Push ``theta[a]`` / ``x[a]`` / ``t``.
PUSH_THETA, PUSH_X, PUSH_T = 0, 1, 2
#: Binary operators on the two top entries (``left op right``), in this order.
BINARY_OPS = ("+", "-", "*", "/", "^", "min", "max", "<", "<=", ">", ">=", "==", "!=", "&&", "||")
BINARY_BASE = 3
#: Unary operators on the top entry.
UNARY_OPS = ("neg", "not", "exp", "log", "sqrt")
UNARY_BASE = BINARY_BASE + len(BINARY_OPS)
#: ``top = top op theta[a]`` and ``top = top op x[a]`` for the first five binary operators.
FUSED_THETA = UNARY_BASE + len(UNARY_OPS)
FUSED_X = FUSED_THETA + 5
#: ``piecewise``: ``[value, condition, other]`` -> ``value if condition else other``.
SELECT = FUSED_X + 5
#: Largest stack a program may need.
MAX_DEPTH = 32
#: Largest number of terms of a rational form (beyond it: bytecode).
MAX_TERMS = 48

Resolve = Callable[[str], int]
"""Maps a name to its variable code (``>= 0`` theta slot, ``< 0`` species); raises if unknown."""


def _poly_mul(p: dict, q: dict) -> dict:
    out: dict = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            powers = dict(m1)
            for var, e in m2:
                powers[var] = powers.get(var, 0) + e
            key = tuple(sorted(powers.items()))
            out[key] = out.get(key, 0.0) + c1 * c2
    return {k: c for k, c in out.items() if c != 0.0}


def _poly_add(p: dict, q: dict, sign: float = 1.0) -> dict:
    out = dict(p)
    for m, c in q.items():
        out[m] = out.get(m, 0.0) + sign * c
    return {k: c for k, c in out.items() if c != 0.0}


_ONE = {(): 1.0}


def rational(node: Node, resolve: Resolve) -> tuple[dict, dict] | None:  # noqa: C901
    """``(N, D)`` polynomials (``{monomial: coefficient}``) of ``node``, or None.

    None when ``node`` is not a ratio of polynomials (a function call, a real or
    parameter exponent, the time ``t``, a comparison) or has more than
    :data:`MAX_TERMS` terms.
    """
    kind = node[0]
    if kind == "num":
        return ({(): node[1]} if node[1] != 0.0 else {}), _ONE
    if kind == "name":
        if node[1] == TIME:
            return None
        return {((resolve(node[1]), 1),): 1.0}, _ONE
    if kind == "neg":
        inner = rational(node[1], resolve)
        return None if inner is None else ({m: -c for m, c in inner[0].items()}, inner[1])
    if kind == "call" and node[1] in ("hill", "hillr"):
        return rational(expand_hill(node), resolve)
    if kind not in ("+", "-", "*", "/", "^"):
        return None
    left = rational(node[1], resolve)
    if left is None:
        return None
    if kind == "^":
        e = node[2]
        if e[0] != "num" or e[1] != int(e[1]) or not 0 <= e[1] <= 8:
            return None
        out = (_ONE, _ONE)
        for _ in range(int(e[1])):
            out = (_poly_mul(out[0], left[0]), _poly_mul(out[1], left[1]))
        return _checked(out)
    right = rational(node[2], resolve)
    if right is None:
        return None
    (n1, d1), (n2, d2) = left, right
    if kind in ("+", "-"):
        sign = 1.0 if kind == "+" else -1.0
        if d1 == d2:
            return _checked((_poly_add(n1, n2, sign), d1))
        return _checked((_poly_add(_poly_mul(n1, d2), _poly_mul(n2, d1), sign), _poly_mul(d1, d2)))
    if kind == "*":
        return _checked((_poly_mul(n1, n2), _poly_mul(d1, d2)))
    if not n2:
        return None  # division by zero
    return _checked((_poly_mul(n1, d2), _poly_mul(d1, n2)))


def _checked(form: tuple[dict, dict]) -> tuple[dict, dict] | None:
    return None if len(form[0]) + len(form[1]) > MAX_TERMS else form


def program(node: Node, resolve: Resolve, constant: Callable[[float], int]) -> list[tuple]:
    """The postfix bytecode of ``node``: a list of ``(opcode, argument)``.

    ``constant(value)`` returns the theta slot holding a number.

    Raises
    ------
    ValueError
        The program would need a stack deeper than :data:`MAX_DEPTH`.
    """
    code: list[tuple[int, int]] = []
    depth = _emit(expand_hill(node), resolve, constant, code)
    if depth > MAX_DEPTH:
        raise ValueError(f"expression too deeply nested (stack depth {depth} > {MAX_DEPTH})")
    return code


def _leaf(node: Node, resolve: Resolve, constant: Callable[[float], int]) -> tuple[int, int] | None:
    """``(PUSH_THETA or PUSH_X, argument)`` of a number or non-time name, else None."""
    if node[0] == "num":
        return PUSH_THETA, constant(node[1])
    if node[0] == "name" and node[1] != TIME:
        var = resolve(node[1])
        return (PUSH_THETA, var) if var >= 0 else (PUSH_X, -1 - var)
    return None


def _emit(node: Node, resolve: Resolve, constant: Callable[[float], int], code: list) -> int:
    """Append the code of ``node``; return the stack depth it needs."""
    kind = node[0]
    leaf = _leaf(node, resolve, constant)
    if leaf is not None:
        code.append(leaf)
        return 1
    if kind == "name":  # the time
        code.append((PUSH_T, 0))
        return 1
    if kind in UNARY_OPS or (kind == "call" and node[1] in UNARY_OPS):
        name = kind if kind in UNARY_OPS else node[1]
        arg = node[1] if kind in UNARY_OPS else node[2][0]
        depth = _emit(arg, resolve, constant, code)
        code.append((UNARY_BASE + UNARY_OPS.index(name), 0))
        return depth
    if kind == "call" and node[1] == "piecewise":
        depths = [_emit(a, resolve, constant, code) + i for i, a in enumerate(node[2])]
        code.append((SELECT, 0))
        return max(depths)
    name, left, right = (node[1], *node[2]) if kind == "call" else node
    op = BINARY_OPS.index(name)
    depth = _emit(left, resolve, constant, code)
    right_leaf = _leaf(right, resolve, constant)
    if right_leaf is not None and op < 5:
        base = FUSED_THETA if right_leaf[0] == PUSH_THETA else FUSED_X
        code.append((base + op, right_leaf[1]))
        return depth
    depth = max(depth, 1 + _emit(right, resolve, constant, code))
    code.append((BINARY_BASE + op, 0))
    return depth
