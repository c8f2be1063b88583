# The REPL-first layer over the kernels: names instead of indices, seeds drawn from one
# integer, results as `NamedAxesArray`s. Mirrors `ssagrad.simulate` in Python, with the
# dimensions in Julia's (reversed) order: states are species × time × sample.

"""
    trajectory_seeds(seed, n) -> Vector{UInt64}

`n` trajectory seeds drawn from `Xoshiro(seed)`: a prefix of a larger ensemble is the
smaller ensemble. (Not the Python side's `SeedSequence` words: the backends agree in
distribution, not bitwise.)
"""
function trajectory_seeds(seed::Integer, n::Integer)
    seed >= 0 || throw(ArgumentError("seed must be a non-negative integer, got $seed"))
    n >= 1 || throw(ArgumentError("n must be a positive number of trajectories, got $n"))
    return rand(Xoshiro(seed), UInt64, n)
end

"""Pairs `name => value` of a `Dict`, `NamedTuple` or vector of pairs, names as `Symbol`s."""
named_pairs(values::NamedTuple) = [k => v for (k, v) in pairs(values)]
named_pairs(values::AbstractDict) = [Symbol(k) => v for (k, v) in values]
named_pairs(values::AbstractVector{<:Pair}) = [Symbol(first(p)) => last(p) for p in values]

"""
    parameter_values(net, params) -> Vector{Float64}

The parameter vector in `net.parameters` order from a `NamedTuple`, a `Dict` (names as
`Symbol`s or strings) or a vector in that order; every parameter must be given, finite
and non-negative.
"""
function parameter_values(net::Network, params::AbstractVector{<:Real})
    length(params) == length(net.parameters) ||
        throw(DimensionMismatch(
            "$(length(params)) values for the parameters $(join(net.parameters, ", "))",
        ))
    values = collect(Float64, params)
    all(v -> isfinite(v) && v >= 0, values) ||
        throw(ArgumentError("parameter values must be finite and non-negative"))
    return values
end

function parameter_values(net::Network, params)
    given = Dict(named_pairs(params))
    unknown = setdiff(keys(given), net.parameters)
    isempty(unknown) ||
        throw(ArgumentError(
            "unknown parameter(s) $(join(unknown, ", ")); the parameters are " *
                join(net.parameters, ", "),
        ))
    missing_names = setdiff(net.parameters, keys(given))
    isempty(missing_names) ||
        throw(ArgumentError("params is missing $(join(missing_names, ", "))"))
    return parameter_values(net, [Float64(given[p]) for p in net.parameters])
end

"""
    initial_state(net, x0) -> Vector{Int}

Initial counts in `net.species` order from a `NamedTuple` or `Dict`; species not given
start at 0. `nothing` means all zero.
"""
function initial_state(net::Network, x0)
    state = zeros(Int, length(net.species))
    x0 === nothing && return state
    for (name, count) in named_pairs(x0)
        s = findfirst(==(name), net.species)
        s === nothing &&
            throw(ArgumentError(
                "unknown species $(repr(name)) in x0; the species are $(join(net.species, ", "))",
            ))
        count isa Real && isinteger(count) && count >= 0 ||
            throw(ArgumentError(
                "initial count of $(repr(name)) must be a non-negative integer, got $count",
            ))
        state[s] = Int(count)
    end
    return state
end

"""`theta = [parameters; literals]` of `net` for parameter values `params`."""
kernel_constants(net::Network, params) = vcat(parameter_values(net, params), net.literals)

"""
    simulate(net::Network, params, x0, times; n = 1000, seed = 1, method = :direct,
             aggregator = nothing, dt = nothing, max_events = 10^7)
        -> (; x, events, status)

Simulate `n` trajectories of a parsed network. `params` and `x0` name their entries
(`(kon = 0.5, ...)` or a `Dict`); `x` is a [`NamedAxesArray`](@ref) with axes
`(:species, :time, :sample)`. `method` and `aggregator` as in the kernel-level
[`simulate`](@ref) (`aggregator = SortingDirect()` after `using JumpProcesses`).

# Examples
```julia
julia> net = SSAGrad.parse("k, 0 --> A\\ng, A --> 0");

julia> r = simulate(net, (k = 10.0, g = 1.0), (A = 0,), [1.0, 5.0]; n = 2000, seed = 1);

julia> dimnames(r.x)
(:species, :time, :sample)

julia> sum(r.x(species = :A, time = 5.0)) / 2000   # ≈ 10 (1 - e⁻⁵)
```
"""
function simulate(
    net::Network,
    params,
    x0,
    times;
    n::Integer = 1000,
    seed::Integer = 1,
    kwargs...,
)
    times = collect(Float64, times)
    states, events, status = simulate(
        net.kernel,
        kernel_constants(net, params),
        initial_state(net, x0),
        times,
        trajectory_seeds(seed, n);
        kwargs...,
    )
    x = NamedAxesArray(states, (:species, :time, :sample), (net.species, times, 1:n))
    return (; x, events, status)
end

"""
    gradient(net::Network, params, x0, times; estimator = :score, n = 1000, seed = 1,
             max_events = 10^7, options...) -> (; mean, dmean, dmean_se, x, estimator)

Estimate `E[X(t)]` and its gradient `∂E[X_s(t_m)]/∂θ_p` with `n` trajectories. The
estimators are those of ssagrad's Python `gradient` (identity feature map):

| `estimator` | what it is | options |
|---|---|---|
| `:score` | likelihood ratio with the survival term, causal scores, leave-one-out baseline | |
| `:gumbel` | Gumbel-softmax straight-through, exact forward pass (biased) | `temperature = 1.0`, `time_smoothing` (default: half the mean waiting time) |
| `:altpath` | alternative paths with uniformisation and pruning | `rate_margin = 1.5` |
| `:cfd` | Anderson's coupled finite differences | `h = 0.05`, `relative = true` |
| `:fd` | central finite differences with common random numbers | `h = 0.05`, `relative = true` |
| `:smoothing` | Gaussian smoothing in log θ, antithetic, common random numbers | `sigma = 0.05`, `directions = 16` |

`mean` is a [`NamedAxesArray`](@ref) over `(:species, :time)`; `dmean` and its standard
error `dmean_se` over `(:parameter, :species, :time)`; `x` holds the primal states
`(:species, :time, :sample)`.

# Examples
```julia
julia> net = SSAGrad.parse("k, 0 --> A\\ng, A --> 0");

julia> g = gradient(net, (k = 10.0, g = 1.0), (A = 0,), [1.0]; estimator = :altpath,
                    n = 4000, seed = 3);

julia> g.dmean(parameter = :k, species = :A, time = 1.0)   # exact: 1 - e⁻¹ ≈ 0.632
```
"""
function gradient(
    net::Network,
    params,
    x0,
    times;
    estimator = :score,
    n::Integer = 1000,
    seed::Integer = 1,
    max_events::Integer = 10_000_000,
    options...,
)
    kind = Symbol(estimator)
    kind in ESTIMATORS ||
        throw(ArgumentError(
            "unknown estimator $(repr(estimator)); choose one of $(join(ESTIMATORS, ", "))",
        ))
    problem = Problem(
        net.kernel,
        parameter_values(net, params),
        net.literals,
        initial_state(net, x0),
        collect(Float64, times),
        trajectory_seeds(seed, n),
        max_events,
    )
    check_inputs(problem.net, theta_at(problem, problem.params), problem.x0, problem.times)
    states, contributions, extra = run_estimator(kind, problem, seed; options...)
    mean_x = vec_mean(Float64.(states))
    dmean = dropdims(sum(contributions; dims = 4); dims = 4) ./ n
    spread = n > 1 ?
        sample_variance(permutedims(contributions, (4, 1, 2, 3))) ./ n :
        fill(NaN, size(dmean))
    keys3 = (net.parameters, net.species, problem.times)
    names3 = (:parameter, :species, :time)
    return (;
        mean = NamedAxesArray(mean_x, (:species, :time), (net.species, problem.times)),
        dmean = NamedAxesArray(dmean, names3, keys3),
        dmean_se = NamedAxesArray(sqrt.(spread .+ extra), names3, keys3),
        x = NamedAxesArray(
            states,
            (:species, :time, :sample),
            (net.species, problem.times, 1:n),
        ),
        estimator = kind,
    )
end

"""Run estimator `kind`: `(states, contributions, extra variance)`."""
function run_estimator(kind::Symbol, problem::Problem, seed; options...)
    kind === :smoothing && return estimate_smoothing(problem, seed; options...)
    states, contributions = if kind === :score
        isempty(options) || throw(ArgumentError("the score estimator takes no options"))
        estimate_score(problem)
    elseif kind === :gumbel
        estimate_gumbel(problem, seed; options...)
    elseif kind === :altpath
        estimate_altpath(problem; options...)
    elseif kind === :cfd
        estimate_cfd(problem; options...)
    else
        estimate_fd(problem; options...)
    end
    return states, contributions, 0.0
end
