"""Expression rate laws in the kernels: rational forms and bytecode (see ``ssagrad._exprcode``).

The tables of :class:`ssagrad._lowering.ExpressionTables` travel packed in two arrays of
the :class:`~._network.KernelNetwork`, ``expr_int`` (a header of offsets, then every
integer table) and ``expr_float`` (the term coefficients): every extra array in the
network tuple makes each non-inlined call that takes it dearer (its reference count is
touched), and the helpers here take the two arrays, never the tuple.

A rational form ``N / D`` is evaluated, with its derivatives by any parameter or species,
by loops over its terms: no dispatch per operation, so a Michaelis-Menten law costs
about as much as a Hill law. Bytecode runs on a stack of :data:`STACK` doubles that
lives in the caller's stack frame (:func:`stack_buffer`), so an evaluation allocates
nothing. A rate that comes out negative or NaN counts as 0 (and so does a ``0 / 0``).
"""

import math

import numpy as np
from numba import carray, njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ..._exprcode import (
    BINARY_BASE,
    FUSED_THETA,
    FUSED_X,
    MAX_DEPTH,
    PUSH_T,
    PUSH_THETA,
    PUSH_X,
    SELECT,
    UNARY_BASE,
)

#: Stack slots of the bytecode interpreter.
STACK = MAX_DEPTH
FORM_RATIONAL = 0
#: Header of ``expr_int``: the offset of each table, then the width of ``dprog``.
H_FORM, H_RANGE, H_TERM_PTR, H_FACTOR_VAR, H_FACTOR_POW, H_OP, H_ARG = 0, 1, 2, 3, 4, 5, 6
H_DPROG, H_READ_PTR, H_READ_SPECIES, H_READ_PROG, H_WIDTH = 7, 8, 9, 10, 11
#: 1 if every general law is a rational form without a mass-action factor (the fast path).
H_FAST = 12
#: The fast path's terms: species factors only (``fast_ptr``, ``fast_species``,
#: ``fast_pow``); their coefficients, with the parameters multiplied in, follow the
#: ``H_TERMS`` term coefficients in ``expr_float`` (built per parameter vector).
H_FAST_PTR, H_FAST_SPECIES, H_FAST_POW, H_TERMS = 13, 14, 15, 16
HEADER = 17
_TABLES = (
    "expr_form", "expr_range", "term_ptr", "factor_var", "factor_pow", "prog_op", "prog_arg",
    "dprog", "read_ptr", "read_species", "read_prog",
)  # fmt: skip


def _species_factors(tables) -> tuple[np.ndarray, ...]:
    """``(fast_ptr, fast_species, fast_pow)``: each term's species factors (CSR)."""
    ptr, var, power = tables.term_ptr, tables.factor_var, tables.factor_pow
    keep = var < 0
    owner = np.repeat(np.arange(ptr.shape[0] - 1), np.diff(ptr))
    counts = np.bincount(owner[keep], minlength=ptr.shape[0] - 1)
    fast_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return fast_ptr, (-1 - var[keep]).astype(np.int64), power[keep].astype(np.int64)


def pack(tables, fast: bool) -> np.ndarray:
    """``expr_int`` of an :class:`~ssagrad._lowering.ExpressionTables` (see module notes)."""
    parts = [
        np.ascontiguousarray(getattr(tables, name), dtype=np.int64).ravel() for name in _TABLES
    ]
    parts += list(_species_factors(tables))
    offsets = np.cumsum([HEADER] + [p.size for p in parts])[:-1]
    header = np.concatenate(
        [offsets[:11], [tables.dprog.shape[1], int(fast)], offsets[11:], [tables.term_coef.size]]
    )
    return np.ascontiguousarray(np.concatenate([header.astype(np.int64), *parts]), dtype=np.int64)


def coefficients(tables, theta: np.ndarray) -> np.ndarray:
    """``expr_float``: the term coefficients, then the same with the parameters multiplied in."""
    coef = np.asarray(tables.term_coef, dtype=np.float64)
    if coef.size == 0:  # no expression laws (a fit builds this every step)
        return np.zeros(0)
    fast = coef.copy()
    var, power = tables.factor_var, tables.factor_pow
    owner = np.repeat(np.arange(coef.shape[0]), np.diff(tables.term_ptr))
    for q, v, e in zip(owner[var >= 0], var[var >= 0], power[var >= 0], strict=True):
        fast[q] *= float(theta[v]) ** int(e)
    return np.ascontiguousarray(np.concatenate([coef, fast]))


@intrinsic
def stack_buffer(typingctx, size):
    """A pointer to ``size`` doubles in the calling function's stack frame (``alloca``)."""
    if not isinstance(size, types.IntegerLiteral):
        return None
    n = size.literal_value

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once(builder, context.get_value_type(types.float64), size=n)

    return types.CPointer(types.float64)(size), codegen


@njit(cache=True, inline="always")
def binary(op, a, b):
    """``a op b`` for the binary operator code ``op`` (``BINARY_OPS`` order)."""
    if op == 0:
        return a + b
    if op == 1:
        return a - b
    if op == 2:
        return a * b
    if op == 3:
        return a / b if b != 0.0 else (math.nan if a == 0.0 else math.copysign(math.inf, a))
    if op == 4:
        return a**b if a > 0.0 or b == math.floor(b) else math.nan
    if op == 5:
        return min(a, b)
    if op == 6:
        return max(a, b)
    if op == 7:
        return 1.0 if a < b else 0.0
    if op == 8:
        return 1.0 if a <= b else 0.0
    if op == 9:
        return 1.0 if a > b else 0.0
    if op == 10:
        return 1.0 if a >= b else 0.0
    if op == 11:
        return 1.0 if a == b else 0.0
    if op == 12:
        return 1.0 if a != b else 0.0
    if op == 13:
        return 1.0 if (a != 0.0 and b != 0.0) else 0.0
    return 1.0 if (a != 0.0 or b != 0.0) else 0.0


@njit(cache=True)
def unary(op, a):
    """``op(a)`` for the unary operator code ``op`` (``UNARY_OPS`` order)."""
    if op == 0:
        return -a
    if op == 1:
        return 1.0 if a == 0.0 else 0.0
    if op == 2:
        return math.exp(a)
    if op == 3:
        return math.log(a) if a > 0.0 else (-math.inf if a == 0.0 else math.nan)
    return math.sqrt(a) if a >= 0.0 else math.nan


@njit(cache=True)
def run(ei, lo, hi, x, theta, t):
    """Run the program ``lo:hi`` at state ``x``, constants ``theta`` and time ``t``."""
    stack = carray(stack_buffer(STACK), (STACK,))
    ops, args = ei[H_OP], ei[H_ARG]
    top = -1
    for p in range(lo, hi):
        op = ei[ops + p]
        arg = ei[args + p]
        if op == PUSH_THETA:
            top += 1
            stack[top] = theta[arg]
        elif op == PUSH_X:
            top += 1
            stack[top] = float(x[arg])
        elif op >= FUSED_X and op < SELECT:
            stack[top] = binary(op - FUSED_X, stack[top], float(x[arg]))
        elif op >= FUSED_THETA and op < FUSED_X:
            stack[top] = binary(op - FUSED_THETA, stack[top], theta[arg])
        elif op == PUSH_T:
            top += 1
            stack[top] = t
        elif op < UNARY_BASE:
            top -= 1
            stack[top] = binary(op - BINARY_BASE, stack[top], stack[top + 1])
        elif op < FUSED_THETA:
            stack[top] = unary(op - UNARY_BASE, stack[top])
        else:  # SELECT: [value, condition, other]
            top -= 2
            if stack[top + 1] == 0.0:
                stack[top] = stack[top + 2]
    return stack[0]


@njit(cache=True)
def polynomial(lo, hi, x, theta, ei, ef):
    """``sum_q c_q prod v^e`` over the terms ``lo:hi`` (powers by repeated products:
    ``float ** int`` made the loop ten times slower)."""
    ptr, var_at, pow_at = ei[H_TERM_PTR], ei[H_FACTOR_VAR], ei[H_FACTOR_POW]
    total = 0.0
    for q in range(lo, hi):
        m = ef[q]
        for f in range(ei[ptr + q], ei[ptr + q + 1]):
            var = ei[var_at + f]
            v = theta[var] if var >= 0 else float(x[-1 - var])
            m *= v
            for _ in range(1, ei[pow_at + f]):
                m *= v
        total += m
    return total


@njit(cache=True)
def polynomial_derivative(lo, hi, wrt, x, theta, ei, ef):
    """Derivative of the terms ``lo:hi`` by the variable ``wrt`` (a ``factor_var`` code)."""
    ptr, var_at, pow_at = ei[H_TERM_PTR], ei[H_FACTOR_VAR], ei[H_FACTOR_POW]
    total = 0.0
    for q in range(lo, hi):
        m = ef[q]
        found = False
        for f in range(ei[ptr + q], ei[ptr + q + 1]):
            var = ei[var_at + f]
            v = theta[var] if var >= 0 else float(x[-1 - var])
            e = ei[pow_at + f]
            if var == wrt:
                found = True
                m *= e
                e -= 1
            for _ in range(e):
                m *= v
        if found:
            total += m
    return total


@njit(cache=True)
def is_rational(j, ei):
    """Whether reaction ``j``'s expression has a rational form."""
    return ei[ei[H_FORM] + j] == FORM_RATIONAL


@njit(cache=True)
def rational_value(j, x, theta, ei, ef):
    """The rational form of reaction ``j`` (0 if not positive; ``0 / 0`` is 0)."""
    at = ei[H_RANGE] + 3 * j
    lo, mid, hi = ei[at], ei[at + 1], ei[at + 2]
    value = polynomial(lo, mid, x, theta, ei, ef)
    if mid < hi:
        den = polynomial(mid, hi, x, theta, ei, ef)
        value = value / den if den != 0.0 else 0.0
    return value if value > 0.0 else 0.0


@njit(cache=True)
def program_value(j, x, theta, ei, t):
    """The bytecode of reaction ``j`` at time ``t`` (0 if not positive)."""
    at = ei[H_RANGE] + 3 * j
    value = run(ei, ei[at], ei[at + 1], x, theta, t)
    return value if value > 0.0 else 0.0


@njit(cache=True)
def expression_value(j, x, theta, ei, ef, t):
    """The rate expression of reaction ``j`` at ``x``, ``theta``, ``t`` (0 if not positive)."""
    if is_rational(j, ei):
        return rational_value(j, x, theta, ei, ef)
    return program_value(j, x, theta, ei, t)


@njit(cache=True)
def expression_derivative(j, wrt, program_lo, program_hi, x, theta, ei, ef):
    """Derivative of reaction ``j``'s expression by the variable ``wrt``.

    Rational forms differentiate their terms; programs run the derivative program
    ``program_lo:program_hi``. Where the expression is clamped to 0, the derivative is 0.
    """
    at = ei[H_RANGE] + 3 * j
    lo, mid, hi = ei[at], ei[at + 1], ei[at + 2]
    if is_rational(j, ei):
        num = polynomial(lo, mid, x, theta, ei, ef)
        dnum = polynomial_derivative(lo, mid, wrt, x, theta, ei, ef)
        if mid == hi:
            return dnum if num > 0.0 else 0.0
        den = polynomial(mid, hi, x, theta, ei, ef)
        if den == 0.0 or not num / den > 0.0:
            return 0.0
        dden = polynomial_derivative(mid, hi, wrt, x, theta, ei, ef)
        return (dnum * den - num * dden) / (den * den)
    if not run(ei, lo, mid, x, theta, 0.0) > 0.0:
        return 0.0
    return run(ei, program_lo, program_hi, x, theta, 0.0)


@njit(cache=True)
def expression_gradient(j, x, theta, slots, ei, ef, comb, out):
    """Add ``comb * d f_j / d theta`` to ``out`` for the parameters of reaction ``j``."""
    width, at = ei[H_WIDTH], ei[H_DPROG]
    for k in range(slots.shape[1]):
        p = slots[j, k]
        if p < 0:
            break
        q = at + 2 * (j * width + k)
        out[p] += comb * expression_derivative(j, p, ei[q], ei[q + 1], x, theta, ei, ef)


@njit(cache=True)
def read_range(j, ei):
    """``(start, end)`` of the species entries reaction ``j``'s expression reads."""
    at = ei[H_READ_PTR] + j
    return ei[at], ei[at + 1]


@njit(cache=True)
def read_entry(e, ei):
    """``(species, derivative program start, end)`` of read entry ``e``."""
    at = ei[H_READ_PROG] + 2 * e
    return ei[ei[H_READ_SPECIES] + e], ei[at], ei[at + 1]


@njit(cache=True)
def fast_general(ei):
    """Whether :func:`refresh_rational` serves every general law of the network."""
    return ei[H_FAST] == 1


@njit(cache=True)
def fast_tables(ei):
    """Where the fast path's tables start in ``ei``, for :func:`refresh_rational`.

    ``(ranges, term species pointers, species, powers, coefficient shift)``, read once
    per trajectory: inside the loop every read of ``ei`` is repeated each event (the
    compiler cannot tell that the propensity writes do not change it).
    """
    return ei[H_RANGE], ei[H_FAST_PTR], ei[H_FAST_SPECIES], ei[H_FAST_POW], ei[H_TERMS]


@njit(cache=True, inline="always")
def fast_term(q, x, ei, ef, shift, ptr, sp_at, pow_at):
    """Term ``q`` of the fast path at state ``x``: its coefficient times its species powers."""
    m = ef[shift + q]
    for f in range(ei[ptr + q], ei[ptr + q + 1]):
        v = float(x[ei[sp_at + f]])
        m *= v
        for _ in range(1, ei[pow_at + f]):
            m *= v
    return m


@njit(cache=True, inline="always")
def refresh_rational(j, x, a, general_ptr, general_index, ei, ef, tables):
    """``a[i]`` for the general dependents of ``j``, all whole-propensity rational forms.

    The direct and the other exact loops call this instead of ``refresh_general`` when
    every general law of the network is such a form (:data:`H_FAST`): it takes no
    network tuple and reads the coefficients with the parameters of ``net.theta``
    already multiplied in (at ``shift``), so it is a few products per term. Inlined by
    Numba (left to LLVM, the call was not inlined and cost ~60 ns per event).
    """
    ranges, ptr, sp_at, pow_at, shift = tables  # fast_tables(ei)
    for p in range(general_ptr[j], general_ptr[j + 1]):
        i = general_index[p]
        lo, mid, hi = ei[ranges + 3 * i], ei[ranges + 3 * i + 1], ei[ranges + 3 * i + 2]
        num = 0.0
        for q in range(lo, mid):
            num += fast_term(q, x, ei, ef, shift, ptr, sp_at, pow_at)
        if mid < hi:  # a polynomial (no denominator terms) skips the division by 1
            den = 0.0
            for q in range(mid, hi):
                den += fast_term(q, x, ei, ef, shift, ptr, sp_at, pow_at)
            num = num / den if den != 0.0 else 0.0
        a[i] = num if num > 0.0 else 0.0


@njit(cache=True)
def expression_reads(ei, n_reactions):
    """``(read_ptr, read_species)`` as plain arrays (for kernels that loop over them)."""
    ptr = ei[ei[H_READ_PTR] : ei[H_READ_PTR] + n_reactions + 1].copy()
    species = ei[ei[H_READ_SPECIES] : ei[H_READ_SPECIES] + ptr[n_reactions]].copy()
    return ptr, species
