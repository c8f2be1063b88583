# Allocating entry points with the kernel contract of ssagrad's backends: what the Python
# `JuliaBackend` calls through juliacall, and the convenient form in the REPL. Inputs are
# copied once into plain `Vector`s (juliacall passes NumPy arrays as `PyArray` views).

"""
    simulate(net, theta, x0, times, seeds; method = :direct, aggregator = nothing,
             max_events = 10^7, dt = nothing, make_rng = Xoshiro) -> (states, events, status)

Simulate one trajectory per seed with the exact direct method (`method = :direct`),
tau-leaping with step `dt` (`method = :tau`; default `last(times) / 1000`), or a
JumpProcesses aggregator (`aggregator = SortingDirect()`, `NRM()`, `DirectCR()`, ...;
needs `using JumpProcesses`). Returns `states` (`S × T × N` `Int`, the bytes of NumPy's
`(N, T, S)`), `events` (reaction firings per trajectory) and `status`
([`STATUS_OK`](@ref) or [`STATUS_MAX_EVENTS`](@ref)). `method` may be a `Symbol` or a
string.

Results agree with ssagrad's native (Numba) backend in distribution, not bitwise: the
random streams differ. The aggregator route draws from JumpProcesses' generator seeded
with `seeds[i]`, so it does not walk the direct method's paths.

# Examples
```julia
julia> net = ReactionNetwork([0; 1;;], [1; 0;;]);  # k, 0 --> A;  g, A --> 0

julia> states, events, status = simulate(net, [10.0, 1.0], [0], [1.0, 5.0], 1:2000);

julia> size(states)
(1, 2, 2000)
```
"""
function simulate(
    net::ReactionNetwork,
    theta,
    x0,
    times,
    seeds;
    method = :direct,
    aggregator = nothing,
    max_events::Integer = 10_000_000,
    dt = nothing,
    make_rng = Xoshiro,
)
    theta, x0, times, seeds = plain_inputs(theta, x0, times, seeds)
    n = length(seeds)
    states = Array{Int}(undef, net.n_species, length(times), n)
    events = Vector{Int}(undef, n)
    status = Vector{Int}(undef, n)
    kind = Symbol(method)
    if aggregator !== nothing
        kind === :direct ||
            throw(ArgumentError(
                "an aggregator runs the exact SSA: drop method = $(repr(method))",
            ))
        require_jumpprocesses()
        simulate_aggregator!(
            states,
            events,
            status,
            net,
            theta,
            x0,
            times,
            seeds,
            max_events,
            aggregator,
        )
    elseif kind === :direct
        simulate_direct!(
            states,
            events,
            status,
            net,
            theta,
            x0,
            times,
            seeds,
            max_events;
            make_rng,
        )
    elseif kind === :tau
        step = dt === nothing ? (last(times) > 0 ? last(times) / 1000 : 1.0) : Float64(dt)
        simulate_tau!(
            states,
            events,
            status,
            net,
            theta,
            x0,
            times,
            seeds,
            step,
            max_events;
            make_rng,
        )
    else
        throw(ArgumentError(
            "unknown method $(repr(method)); use :direct or :tau, or pass an aggregator",
        ))
    end
    return states, events, status
end

"""
    simulate_score(net, theta, n_params, x0, times, seeds; max_events = 10^7,
                   make_rng = Xoshiro) -> (states, scores, events, status)

Allocating form of [`simulate_score!`](@ref): `states` is `S × T × N`, `scores` is
`P × T × N` (`P = n_params`), `events[i]` the reactions path `i` fired.
"""
function simulate_score(
    net::ReactionNetwork,
    theta,
    n_params::Integer,
    x0,
    times,
    seeds;
    max_events::Integer = 10_000_000,
    make_rng = Xoshiro,
)
    theta, x0, times, seeds = plain_inputs(theta, x0, times, seeds)
    n = length(seeds)
    states = Array{Int}(undef, net.n_species, length(times), n)
    scores = Array{Float64}(undef, n_params, length(times), n)
    events, status = Vector{Int}(undef, n), Vector{Int}(undef, n)
    simulate_score!(
        states,
        scores,
        status,
        net,
        theta,
        n_params,
        x0,
        times,
        seeds,
        max_events;
        make_rng,
        events,
    )
    return states, scores, events, status
end

"""
    simulate_gumbel(net, theta, n_params, x0, times, seeds; temperature, time_smoothing,
                    max_events = 10^7, make_rng = Xoshiro) -> (states, tangents, events, status)

Allocating form of [`simulate_gumbel!`](@ref): `states` is `S × T × N`, `tangents` is
`P × S × T × N` (`P = n_params`), `events[i]` the reactions path `i` fired.
"""
function simulate_gumbel(
    net::ReactionNetwork,
    theta,
    n_params::Integer,
    x0,
    times,
    seeds;
    temperature::Real,
    time_smoothing::Real,
    max_events::Integer = 10_000_000,
    make_rng = Xoshiro,
)
    theta, x0, times, seeds = plain_inputs(theta, x0, times, seeds)
    n = length(seeds)
    states = Array{Int}(undef, net.n_species, length(times), n)
    tangents = Array{Float64}(undef, n_params, net.n_species, length(times), n)
    events, status = Vector{Int}(undef, n), Vector{Int}(undef, n)
    simulate_gumbel!(
        states,
        tangents,
        status,
        net,
        theta,
        n_params,
        x0,
        times,
        seeds,
        max_events,
        temperature,
        time_smoothing;
        make_rng,
        events,
    )
    return states, tangents, events, status
end

"""
    simulate_altpath(net, theta, n_params, x0, times, seeds; rate_margin = 1.5,
                     max_events = 10^7, make_rng = Xoshiro)
        -> (states, alt_states, weights, events, status)

Allocating form of [`simulate_altpath!`](@ref): `states` is `S × T × N`, `alt_states`
`P × S × T × N` and `weights` `P × T × N` (`P = n_params`), `events[i]` the
uniformisation steps of path `i`.
"""
function simulate_altpath(
    net::ReactionNetwork,
    theta,
    n_params::Integer,
    x0,
    times,
    seeds;
    rate_margin::Real = 1.5,
    max_events::Integer = 10_000_000,
    make_rng = Xoshiro,
)
    theta, x0, times, seeds = plain_inputs(theta, x0, times, seeds)
    n, n_s, n_t = length(seeds), net.n_species, length(times)
    states = Array{Int}(undef, n_s, n_t, n)
    alt_states = Array{Int}(undef, n_params, n_s, n_t, n)
    weights = zeros(n_params, n_t, n)
    events, status = Vector{Int}(undef, n), Vector{Int}(undef, n)
    simulate_altpath!(
        states,
        alt_states,
        weights,
        status,
        net,
        theta,
        n_params,
        x0,
        times,
        seeds,
        max_events,
        rate_margin;
        make_rng,
        events,
    )
    return states, alt_states, weights, events, status
end

"""
    simulate_coupled(net, theta_plus, theta_minus, x0, times, seeds; max_events = 10^7,
                     make_rng = Xoshiro) -> (x_plus, x_minus, events, status)

Allocating form of [`simulate_coupled!`](@ref): column `d` of `theta_plus` and
`theta_minus` holds the constants of perturbation `d`; `x_plus` and `x_minus` are
`D × S × T × N`; `events[i]` the coupled steps of trajectory `i` over all pairs.
"""
function simulate_coupled(
    net::ReactionNetwork,
    theta_plus::AbstractMatrix,
    theta_minus::AbstractMatrix,
    x0,
    times,
    seeds;
    max_events::Integer = 10_000_000,
    make_rng = Xoshiro,
)
    _, x0, times, seeds = plain_inputs(Float64[], x0, times, seeds)
    plus, minus = Matrix{Float64}(theta_plus), Matrix{Float64}(theta_minus)
    n_d, n_s, n_t, n = size(plus, 2), net.n_species, length(times), length(seeds)
    x_plus = Array{Int}(undef, n_d, n_s, n_t, n)
    x_minus = Array{Int}(undef, n_d, n_s, n_t, n)
    events, status = Vector{Int}(undef, n), Vector{Int}(undef, n)
    simulate_coupled!(
        x_plus,
        x_minus,
        status,
        net,
        plus,
        minus,
        x0,
        times,
        seeds,
        max_events;
        make_rng,
        events,
    )
    return x_plus, x_minus, events, status
end

function plain_inputs(theta, x0, times, seeds)
    return collect(Float64, theta),
        collect(Int, x0),
        collect(Float64, times),
        collect(seeds)
end
