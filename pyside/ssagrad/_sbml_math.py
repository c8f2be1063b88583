"""MathML (libsbml ``ASTNode``) to and from ssagrad expression trees (:mod:`ssagrad.expr`).

Only the operators and functions of the expression grammar are accepted; anything else
(trigonometry, ``delay``, ``rateOf``, user functions, ...) is an :class:`SBMLError`
naming the MathML element and where it was found.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .expr import TIME, Node, add, div, mul, neg, power, sub

#: XML namespace of ssagrad's annotations (exact values, rate text, horizon).
NS = "https://ssagrad.invalid/sbml"


class SBMLError(ValueError):
    """An SBML document ssagrad cannot read: the message names the element and its id."""


def _libsbml() -> Any:
    try:
        import libsbml
    except ImportError:  # pragma: no cover - exercised where libsbml is absent
        raise ImportError(
            "SBML support needs python-libsbml: pip install 'ssagrad[sbml]'"
        ) from None
    return libsbml


def _table(lib: Any) -> dict[int, str]:
    return {
        lib.AST_RELATIONAL_LT: "<", lib.AST_RELATIONAL_LEQ: "<=", lib.AST_RELATIONAL_GT: ">",
        lib.AST_RELATIONAL_GEQ: ">=", lib.AST_RELATIONAL_EQ: "==", lib.AST_RELATIONAL_NEQ: "!=",
    }  # fmt: skip


def from_ast(node: Any, where: str) -> Node:  # noqa: C901 - one case per MathML element
    """The expression tree of a libsbml ``ASTNode``; ``where`` names it in errors."""
    lib = _libsbml()
    if node is None:
        raise SBMLError(f"{where}: missing math")
    kind = node.getType()
    children = [from_ast(node.getChild(i), where) for i in range(node.getNumChildren())]
    if kind == lib.AST_INTEGER:
        return ("num", float(node.getInteger()))
    if kind in (lib.AST_REAL, lib.AST_REAL_E, lib.AST_RATIONAL):
        return ("num", float(node.getReal()))
    if kind == lib.AST_CONSTANT_PI:
        return ("num", math.pi)
    if kind == lib.AST_CONSTANT_E:
        return ("num", math.e)
    if kind in (lib.AST_CONSTANT_TRUE, lib.AST_CONSTANT_FALSE):
        return ("num", 1.0 if kind == lib.AST_CONSTANT_TRUE else 0.0)
    if kind == lib.AST_NAME_TIME:
        return ("name", TIME)
    if kind == lib.AST_NAME:
        return ("name", node.getName())
    if kind in (lib.AST_PLUS, lib.AST_TIMES):
        if not children:
            return ("num", 0.0 if kind == lib.AST_PLUS else 1.0)
        out = children[0]
        for child in children[1:]:
            out = ("+" if kind == lib.AST_PLUS else "*", out, child)
        return out
    if kind == lib.AST_MINUS:
        return ("neg", children[0]) if len(children) == 1 else ("-", children[0], children[1])
    if kind == lib.AST_DIVIDE:
        return ("/", children[0], children[1])
    if kind in (lib.AST_POWER, lib.AST_FUNCTION_POWER):
        return ("^", children[0], children[1])
    if kind == lib.AST_FUNCTION_ROOT:
        degree = children[0] if len(children) == 2 else ("num", 2.0)
        base = children[-1]
        return (
            ("call", "sqrt", (base,))
            if degree == ("num", 2.0)
            else ("^", base, ("/", ("num", 1.0), degree))
        )
    if kind in (lib.AST_FUNCTION_EXP, lib.AST_FUNCTION_LN):
        return ("call", "exp" if kind == lib.AST_FUNCTION_EXP else "log", (children[0],))
    if kind == lib.AST_FUNCTION_LOG:  # log with a base (10 by default)
        base = children[0] if len(children) == 2 else ("num", 10.0)
        return ("/", ("call", "log", (children[-1],)), ("call", "log", (base,)))
    if kind in (lib.AST_FUNCTION_MIN, lib.AST_FUNCTION_MAX):
        name = "min" if kind == lib.AST_FUNCTION_MIN else "max"
        out = children[0]
        for child in children[1:]:
            out = ("call", name, (out, child))
        return out
    if kind in _table(lib):
        return (_table(lib)[kind], children[0], children[1])
    if kind in (lib.AST_LOGICAL_AND, lib.AST_LOGICAL_OR):
        out = children[0]
        for child in children[1:]:
            out = ("&&" if kind == lib.AST_LOGICAL_AND else "||", out, child)
        return out
    if kind == lib.AST_LOGICAL_NOT:
        return ("not", children[0])
    if kind == lib.AST_FUNCTION_PIECEWISE:
        otherwise = children[-1] if len(children) % 2 else ("num", 0.0)
        out = otherwise
        for i in range(len(children) // 2 * 2 - 2, -1, -2):
            out = ("call", "piecewise", (children[i], children[i + 1], out))
        return out
    name = node.getName() or lib.formulaToL3String(node)
    raise SBMLError(f"{where}: unsupported MathML element {name!r}")


def to_ast(tree: Node) -> Any:
    """A libsbml ``ASTNode`` of an expression tree (``hill``/``hillr`` written out)."""
    lib = _libsbml()
    kind = tree[0]
    if kind == "num":
        node = lib.ASTNode(lib.AST_REAL)
        node.setValue(float(tree[1]))
        return node
    if kind == "name":
        node = lib.ASTNode(lib.AST_NAME_TIME if tree[1] == TIME else lib.AST_NAME)
        node.setName("time" if tree[1] == TIME else tree[1])
        return node
    if kind == "call" and tree[1] in ("hill", "hillr"):
        x, v, big_k, n = tree[2]
        xn, kn = power(x, n), power(big_k, n)
        return to_ast(div(mul(v, xn if tree[1] == "hill" else kn), add(kn, xn)))
    types = {
        "+": lib.AST_PLUS, "-": lib.AST_MINUS, "*": lib.AST_TIMES, "/": lib.AST_DIVIDE,
        "^": lib.AST_POWER, "neg": lib.AST_MINUS, "not": lib.AST_LOGICAL_NOT,
        "&&": lib.AST_LOGICAL_AND, "||": lib.AST_LOGICAL_OR,
        "exp": lib.AST_FUNCTION_EXP, "log": lib.AST_FUNCTION_LN, "sqrt": lib.AST_FUNCTION_ROOT,
        "min": lib.AST_FUNCTION_MIN, "max": lib.AST_FUNCTION_MAX,
        "piecewise": lib.AST_FUNCTION_PIECEWISE,
        **{op: t for t, op in _table(lib).items()},
    }  # fmt: skip
    name = tree[1] if kind == "call" else kind
    node = lib.ASTNode(types[name])
    for child in tree[2] if kind == "call" else tree[1:]:
        node.addChild(to_ast(child))
    return node


def substitute(tree: Node, values: dict[str, Node]) -> Node:
    """``tree`` with every name in ``values`` replaced by its tree."""
    if tree[0] == "name":
        return values.get(tree[1], tree)
    if tree[0] == "num":
        return tree
    if tree[0] == "call":
        return ("call", tree[1], tuple(substitute(a, values) for a in tree[2]))
    return (tree[0], *(substitute(c, values) for c in tree[1:]))


__all__ = [
    "SBMLError",
    "add",
    "div",
    "from_ast",
    "mul",
    "neg",
    "power",
    "sub",
    "substitute",
    "to_ast",
]


def comb_tree(reactants: Mapping[str, int]) -> tuple:
    """``prod_s C(x_s, r_s)`` as a tree: ``X``, ``X * (X - 1) / 2``, ..."""
    out: tuple = ("num", 1.0)
    for name, r in reactants.items():
        term: tuple = ("name", name)
        for i in range(1, r):
            term = mul(term, sub(("name", name), ("num", float(i))))
        out = mul(out, div(term, ("num", float(math.factorial(r)))))
    return out
