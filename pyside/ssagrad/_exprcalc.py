"""Symbolic derivatives and NumPy evaluation of expression trees (:mod:`ssagrad.expr`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .expr import COMPARISONS, Node, _is, _num, add, call, div, expand_hill, mul, neg, power, sub


def derivative(node: Node, name: str) -> Node:
    """The symbolic derivative of ``node`` with respect to ``name`` (Hill laws expanded).

    Comparisons and logic are piecewise constant: their derivative is 0. ``min``/``max``
    and ``piecewise`` differentiate the branch that is taken.
    """
    return _d(expand_hill(node), name)


def _d(node: Node, v: str) -> Node:  # noqa: C901 - one case per node kind
    kind = node[0]
    if kind == "num":
        return _num(0.0)
    if kind == "name":
        return _num(1.0 if node[1] == v else 0.0)
    if kind == "neg":
        return neg(_d(node[1], v))
    if kind in ("not", *COMPARISONS, "&&", "||"):
        return _num(0.0)
    if kind == "call":
        name, args = node[1], node[2]
        if name == "piecewise":
            value, cond, other = args
            return call("piecewise", _d(value, v), cond, _d(other, v))
        if name in ("min", "max"):
            a, b = args
            return call("piecewise", _d(a, v), (("<=" if name == "min" else ">="), a, b), _d(b, v))
        (a,) = args
        da = _d(a, v)
        if _is(da, 0.0):
            return da
        inner = {"exp": node, "log": div(_num(1.0), a), "sqrt": div(_num(0.5), node)}[name]
        return mul(inner, da)
    a, b = node[1], node[2]
    da, db = _d(a, v), _d(b, v)
    if kind == "+":
        return add(da, db)
    if kind == "-":
        return sub(da, db)
    if kind == "*":
        return add(mul(da, b), mul(a, db))
    if kind == "/":
        if _is(db, 0.0):
            return div(da, b)
        return div(sub(mul(da, b), mul(a, db)), power(b, _num(2.0)))
    # a ^ b
    if _is(db, 0.0):
        return mul(mul(b, power(a, sub(b, _num(1.0)))), da)
    return mul(node, add(mul(db, call("log", a)), div(mul(b, da), a)))


def evaluate(node: Node, env: Mapping[str, object]):  # noqa: C901 - one case per node kind
    """Value of ``node`` with NumPy broadcasting; names are looked up in ``env``."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        if node[1] not in env:
            raise ValueError(f"no value for {node[1]!r}")
        return env[node[1]]
    if kind == "neg":
        return -evaluate(node[1], env)
    if kind == "not":
        return np.where(evaluate(node[1], env) != 0, 0.0, 1.0)
    if kind == "call":
        args = [evaluate(a, env) for a in node[2]]
        name = node[1]
        if name in ("hill", "hillr"):
            return evaluate(expand_hill(node), env)
        if name == "piecewise":
            return np.where(args[1] != 0, args[0], args[2])
        with np.errstate(all="ignore"):
            funcs = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt}
            if name in funcs:
                return funcs[name](args[0])
            return (np.minimum if name == "min" else np.maximum)(args[0], args[1])
    a, b = evaluate(node[1], env), evaluate(node[2], env)
    with np.errstate(all="ignore"):
        if kind in ("+", "-", "*", "/", "^"):
            if kind == "/":
                return np.divide(a, b)
            if kind == "^":
                return np.power(np.asarray(a, dtype=float), b)
            return {"+": np.add, "-": np.subtract, "*": np.multiply}[kind](a, b)
    ops = {
        "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        "==": np.equal, "!=": np.not_equal,
    }  # fmt: skip
    if kind in ops:
        return ops[kind](a, b).astype(float)
    truth = (np.asarray(a) != 0) & (np.asarray(b) != 0) if kind == "&&" else None
    if truth is None:
        truth = (np.asarray(a) != 0) | (np.asarray(b) != 0)
    return truth.astype(float)
