"""Per-trajectory random streams for the native kernels: xoshiro256** seeded by splitmix64.

Each trajectory owns a 4-word state built from its own 64-bit seed, so a trajectory's
random numbers never depend on which thread runs it or how many threads exist.
"""

import math

import numpy as np
from numba import njit

_U1 = np.uint64(1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TWO_M53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True)
def _splitmix_word(z):
    """One splitmix64 step: return the advanced ``z`` and its output word."""
    z = z + _GOLDEN
    return z, mix64(z)


@njit(cache=True)
def mix64(z):
    """The splitmix64 finaliser: a bijective hash of 64 bits."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def sub_seed(seed, salt):
    """The seed of a trajectory's sub-stream ``salt``: ``seed ^ salt`` (uint64).

    The one way the kernels derive further streams from a trajectory's seed: each use
    has its own salt (a fixed odd constant, or a multiple of the golden ratio for a
    numbered family of streams, see :func:`family_salt`), so the sub-streams depend on
    the seed alone, never on the thread that runs them.
    """
    return np.uint64(seed) ^ np.uint64(salt)


@njit(cache=True)
def family_salt(k):
    """Salt of stream ``k`` (0, 1, ...) of a numbered family: ``(k + 1)`` golden ratios."""
    return (np.uint64(k) + _U1) * _GOLDEN


@njit(cache=True)
def rng_init_words(seed):
    """The xoshiro256** state expanded from ``seed``, as four uint64 scalars.

    The scalar form lets the hot loops keep the state in registers; :func:`rng_init` is the
    same state in an array.
    """
    z = np.uint64(seed)
    z, s0 = _splitmix_word(z)
    z, s1 = _splitmix_word(z)
    z, s2 = _splitmix_word(z)
    z, s3 = _splitmix_word(z)
    if s0 == 0 and s1 == 0 and s2 == 0 and s3 == 0:
        s0 = _U1
    return s0, s1, s2, s3


@njit(cache=True)
def rng_next_words(s0, s1, s2, s3):
    """Advance a scalar state: return (64 random bits, s0, s1, s2, s3)."""
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@njit(cache=True)
def _unit_double(bits):
    """The top 53 of 64 random bits as a double in [0, 1)."""
    return float(bits >> np.uint64(11)) * _TWO_M53


@njit(cache=True)
def rng_uniform_words(s0, s1, s2, s3):
    """:func:`rng_uniform` on a scalar state: (u in [0, 1), s0, s1, s2, s3)."""
    bits, s0, s1, s2, s3 = rng_next_words(s0, s1, s2, s3)
    return _unit_double(bits), s0, s1, s2, s3


@njit(cache=True)
def rng_exponential_words(s0, s1, s2, s3):
    """:func:`rng_exponential` on a scalar state: (Exp(1) variate, s0, s1, s2, s3).

    Same bits as the array version: ``-log(1 - u)`` with ``u`` from :func:`rng_uniform`.
    """
    u, s0, s1, s2, s3 = rng_uniform_words(s0, s1, s2, s3)
    return -math.log(1.0 - u), s0, s1, s2, s3


@njit(cache=True)
def rng_init(seed):
    """Return a fresh xoshiro256** state (4 uint64 words) expanded from ``seed``."""
    state = np.empty(4, dtype=np.uint64)
    state[0], state[1], state[2], state[3] = rng_init_words(seed)
    return state


@njit(cache=True)
def rng_next(state):
    """Advance the state; return 64 random bits."""
    bits, s0, s1, s2, s3 = rng_next_words(state[0], state[1], state[2], state[3])
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3
    return bits


@njit(cache=True)
def rng_uniform(state):
    """A uniform double in [0, 1) with 53 random bits."""
    return _unit_double(rng_next(state))


@njit(cache=True)
def rng_uniform_open(state):
    """A uniform double in (0, 1]."""
    return 1.0 - rng_uniform(state)


@njit(cache=True)
def rng_exponential(state):
    """An Exp(1) variate by inversion."""
    return -math.log(rng_uniform_open(state))


@njit(cache=True)
def rng_normal(state):
    """A standard normal variate (Box-Muller, one of the pair)."""
    u1 = rng_uniform_open(state)
    u2 = rng_uniform(state)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True)
def rng_poisson(state, lam):
    """A Poisson(lam) variate: inversion for lam < 10, Hoermann's PTRS otherwise."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        prod = rng_uniform_open(state)
        while prod > limit:
            k += 1
            prod *= rng_uniform_open(state)
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = rng_uniform(state) - 0.5
        v = rng_uniform_open(state)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        lhs = math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
        if lhs <= -lam + k * loglam - math.lgamma(k + 1.0):
            return int(k)
