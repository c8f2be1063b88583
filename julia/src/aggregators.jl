# The JumpProcesses route, declared here and implemented by the package extension
# `SSAGradJumpProcessesExt` (ext/), which Julia loads as soon as JumpProcesses is loaded
# next to SSAGrad. The estimator kernels never need it.

"""
    jump_problem(net, theta, x0, tspan, aggregator = Direct(); kwargs...)

The network as a JumpProcesses `JumpProblem` on a `DiscreteProblem(x0, tspan, theta)`,
for any of JumpProcesses' exact aggregators (`Direct()`, `SortingDirect()`, `NRM()`,
`DirectCR()`, `RSSA()`, ...) and `SSAStepper()`. Needs `using JumpProcesses` (the
method lives in SSAGrad's JumpProcesses extension).

Mass-action reactions become one `MassActionJump` reading its rate constants from
`prob.p = theta` (`param_idxs`), with the binomial convention of [`propensity`](@ref);
Hill reactions become `ConstantRateJump`s evaluating [`propensity`](@ref). The
dependency graph and species maps are passed in JumpProcesses' numbering (mass-action
jumps first), so every aggregator can run it. Keyword arguments go to `JumpProblem`.

RSSA and RSSACR assume propensities that grow with the counts, which a `hillr` law
does not; use the other aggregators for networks with repression.

# Examples
```julia
julia> using JumpProcesses

julia> net = ReactionNetwork([0; 1;;], [1; 0;;]);  # k, 0 --> A;  g, A --> 0

julia> prob = jump_problem(net, [10.0, 1.0], [0], (0.0, 5.0), SortingDirect());

julia> sol = solve(prob, SSAStepper(); saveat = 1.0, seed = 1);
```
"""
function jump_problem end

"""
    simulate_aggregator!(states, events, status, net, theta, x0, times, seeds,
                         max_events, aggregator)

One trajectory per seed with a JumpProcesses `aggregator`, in the layout of
[`simulate_direct!`](@ref): `states` is `S × T × N`, `events` counts jumps, `status` is
[`STATUS_OK`](@ref) or [`STATUS_MAX_EVENTS`](@ref). Trajectory `i` runs
`SSAStepper()` with `seed = seeds[i]` on a copy of the problem owned by its thread, so
results do not depend on the thread count. Needs `using JumpProcesses`.
"""
function simulate_aggregator! end

"""What to do when the aggregator route is used without JumpProcesses loaded."""
const JUMPPROCESSES_HINT = "the aggregator route needs JumpProcesses: run `using JumpProcesses` first " *
    "(it loads SSAGrad's JumpProcesses extension), or use method = :direct"

"""
    require_jumpprocesses()

Throw an `ArgumentError` saying how to load JumpProcesses unless SSAGrad's extension
for it is loaded.
"""
function require_jumpprocesses()
    Base.get_extension(@__MODULE__, :SSAGradJumpProcessesExt) === nothing &&
        throw(ArgumentError(JUMPPROCESSES_HINT))
    return nothing
end
