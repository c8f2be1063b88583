"""Expression rate laws in the kernels: rational forms and bytecode (see ``ssagrad._exprcode``).

A rational form ``N / D`` is evaluated, with its derivatives by any parameter or species,
by loops over its terms: no dispatch per operation, so a Michaelis-Menten law costs
about as much as a Hill law. Bytecode runs on a stack of :data:`STACK` doubles that
lives in the caller's stack frame (:func:`stack_buffer`), so an evaluation allocates
nothing. A rate that comes out negative or NaN counts as 0 (and so does a ``0 / 0``).
"""

import math

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
def run(prog_op, prog_arg, lo, hi, x, theta, t):
    """Run the program ``lo:hi`` at state ``x``, constants ``theta`` and time ``t``."""
    stack = carray(stack_buffer(STACK), (STACK,))
    top = -1
    for p in range(lo, hi):
        op = prog_op[p]
        arg = prog_arg[p]
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
def polynomial(lo, hi, x, theta, net):
    """``sum_q c_q prod v^e`` over the terms ``lo:hi``."""
    total = 0.0
    for q in range(lo, hi):
        m = net.term_coef[q]
        for f in range(net.term_ptr[q], net.term_ptr[q + 1]):
            var = net.factor_var[f]
            v = theta[var] if var >= 0 else float(x[-1 - var])
            e = net.factor_pow[f]
            m *= v if e == 1 else v**e
        total += m
    return total


@njit(cache=True)
def polynomial_derivative(lo, hi, wrt, x, theta, net):
    """Derivative of the terms ``lo:hi`` by the variable ``wrt`` (a ``factor_var`` code)."""
    total = 0.0
    for q in range(lo, hi):
        m = net.term_coef[q]
        found = False
        for f in range(net.term_ptr[q], net.term_ptr[q + 1]):
            var = net.factor_var[f]
            v = theta[var] if var >= 0 else float(x[-1 - var])
            e = net.factor_pow[f]
            if var == wrt:
                found = True
                m *= e * (1.0 if e == 1 else v ** (e - 1))
            else:
                m *= v if e == 1 else v**e
        if found:
            total += m
    return total


@njit(cache=True)
def expression_value(j, x, theta, net, t):
    """The rate expression of reaction ``j`` at ``x``, ``theta``, ``t`` (0 if not positive)."""
    lo, mid, hi = net.expr_range[j, 0], net.expr_range[j, 1], net.expr_range[j, 2]
    if net.expr_form[j] == FORM_RATIONAL:
        value = polynomial(lo, mid, x, theta, net)
        if mid < hi:
            den = polynomial(mid, hi, x, theta, net)
            value = value / den if den != 0.0 else 0.0
    else:
        value = run(net.prog_op, net.prog_arg, lo, mid, x, theta, t)
    return value if value > 0.0 else 0.0


@njit(cache=True)
def expression_derivative(j, wrt, program_lo, program_hi, x, theta, net):
    """Derivative of reaction ``j``'s expression by the variable ``wrt``.

    Rational forms differentiate their terms; programs run the derivative program
    ``program_lo:program_hi``. Where the expression is clamped to 0, the derivative is 0.
    """
    lo, mid, hi = net.expr_range[j, 0], net.expr_range[j, 1], net.expr_range[j, 2]
    if net.expr_form[j] == FORM_RATIONAL:
        num = polynomial(lo, mid, x, theta, net)
        dnum = polynomial_derivative(lo, mid, wrt, x, theta, net)
        if mid == hi:
            return dnum if num > 0.0 else 0.0
        den = polynomial(mid, hi, x, theta, net)
        if den == 0.0 or not num / den > 0.0:
            return 0.0
        dden = polynomial_derivative(mid, hi, wrt, x, theta, net)
        return (dnum * den - num * dden) / (den * den)
    if not run(net.prog_op, net.prog_arg, lo, mid, x, theta, 0.0) > 0.0:
        return 0.0
    return run(net.prog_op, net.prog_arg, program_lo, program_hi, x, theta, 0.0)


@njit(cache=True)
def expression_gradient(j, x, theta, net, comb, out):
    """Add ``comb * d f_j / d theta`` to ``out`` for the parameters of reaction ``j``."""
    slots = net.rate_slots
    for k in range(slots.shape[1]):
        p = slots[j, k]
        if p < 0:
            break
        d = expression_derivative(j, p, net.dprog[j, k, 0], net.dprog[j, k, 1], x, theta, net)
        out[p] += comb * d
