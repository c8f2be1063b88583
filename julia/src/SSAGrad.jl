"""
    SSAGrad

Julia kernels of the Python package `ssagrad`, usable on their own from a Julia REPL:
exact stochastic simulation of reaction networks (Gillespie's direct method),
tau-leaping, and gradient estimators of expectations — score function, Gumbel-softmax
straight-through (forward-mode ForwardDiff dual numbers), alternative paths
(uniformisation and pruned flips), Anderson's coupled finite differences, and finite
differences and Gaussian smoothing with common random numbers.

The REPL-first layer: [`SSAGrad.parse`](@ref) reads ssagrad's network text,
[`simulate`](@ref) and [`gradient`](@ref) take parameter and initial-state names and
return [`NamedAxesArray`](@ref)s. Underneath, a network is data
([`ReactionNetwork`](@ref)): CSR reactant and change arrays, rate-law codes and slots
into `theta = [parameters; literals]`, and a reaction dependency graph, exactly the
arrays of `ssagrad.network.NetworkArrays` with 1-based indices.

JumpProcesses is a weak dependency: `using JumpProcesses` loads the extension that adds
[`jump_problem`](@ref) and the `aggregator` route of [`simulate`](@ref). The estimator
kernels load without it.

Array layout: every kernel array has the dimensions of its NumPy counterpart in reverse
order, so it has the same bytes. NumPy's `(N, T, S)` states are `S × T × N` here.

Each trajectory draws from its own random stream, `make_rng(seed)` (default `Xoshiro`),
so results do not depend on the number of threads. The streams differ from the Numba
kernels': results agree with the native backend in distribution, not bitwise.
"""
module SSAGrad

using ForwardDiff: Dual, partials, value
using PoissonRandom: pois_rand
using Random: AbstractRNG, Xoshiro, randexp, randn

export ReactionNetwork, STATUS_OK, STATUS_MAX_EVENTS
export propensity, simulate, simulate_direct!, simulate_tau!
export simulate_score, simulate_score!, simulate_gumbel, simulate_gumbel!
export simulate_altpath, simulate_altpath!, simulate_coupled, simulate_coupled!
export simulate_aggregator!, jump_problem
export Network, NamedAxesArray, dimnames, axiskeys, gradient, trajectory_seeds

include("network.jl")
include("propensity.jl")
include("direct.jl")
include("tau.jl")
include("duals.jl")
include("score.jl")
include("gumbel.jl")
include("altpath_steps.jl")
include("altpath.jl")
include("coupled.jl")
include("aggregators.jl")
include("simulate.jl")
include("parse.jl")
include("lower.jl")
include("named.jl")
include("api.jl")
include("estimators.jl")

end # module SSAGrad
