"""
    SSAGrad

Julia kernels of the Python package `ssagrad`: exact stochastic simulation of reaction
networks (Gillespie's direct method), tau-leaping, and forward-mode gradient estimators
(score function, Gumbel-softmax straight-through) built on ForwardDiff dual numbers, plus
a route into JumpProcesses' aggregators.

A network is data ([`ReactionNetwork`](@ref)): CSR reactant and change arrays, rate-law
codes and slots into `theta = [parameters; literals]`, and a reaction dependency graph,
exactly the arrays of `ssagrad.network.NetworkArrays` but with 1-based indices.

Array layout: every array has the dimensions of its NumPy counterpart in reverse order,
so it has the same bytes. NumPy's `(N, T, S)` states are `S × T × N` here; the scores
`(N, T, P)` are `P × T × N`; the tangents `(N, T, S, P)` are `P × S × T × N`.

Each trajectory draws from its own random stream, `make_rng(seed)` (default `Xoshiro`),
so results do not depend on the number of threads. The streams differ from the Numba
kernels' xoshiro256** streams: results agree with the native backend in distribution,
not bitwise.
"""
module SSAGrad

using ForwardDiff: Dual, partials, value
using JumpProcesses:
    ConstantRateJump,
    Direct,
    DiscreteProblem,
    JumpProblem,
    JumpSet,
    MassActionJump
using PoissonRandom: pois_rand
using Random: AbstractRNG, Xoshiro, randexp

export ReactionNetwork, STATUS_OK, STATUS_MAX_EVENTS
export propensity, simulate, simulate_direct!, simulate_tau!
export simulate_score, simulate_score!, simulate_gumbel, simulate_gumbel!
export jump_problem

include("network.jl")
include("propensity.jl")
include("direct.jl")
include("tau.jl")
include("duals.jl")
include("score.jl")
include("gumbel.jl")
include("jumps.jl")
include("simulate.jl")

end # module SSAGrad
