# Allocating entry points with the kernel contract of ssagrad's backends: what the Python
# `JuliaBackend` calls through juliacall, and the convenient form in the REPL. Inputs are
# copied once into plain `Vector`s (juliacall passes NumPy arrays as `PyArray` views).

"""
    simulate(net, theta, x0, times, seeds; method = :direct, max_events = 10^7,
             dt = nothing, make_rng = Xoshiro) -> (states, events, status)

Simulate one trajectory per seed with the exact direct method (`method = :direct`) or
tau-leaping with step `dt` (`method = :tau`; default `last(times) / 1000`). Returns
`states` (`S × T × N` `Int`, the bytes of NumPy's `(N, T, S)`), `events` (reaction
firings per trajectory) and `status` ([`STATUS_OK`](@ref) or
[`STATUS_MAX_EVENTS`](@ref)). `method` may be a `Symbol` or a string.

Results agree with ssagrad's native (Numba) backend in distribution, not bitwise: the
random streams differ.

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
    max_events::Integer = 10_000_000,
    dt = nothing,
    make_rng = Xoshiro,
)
    theta, x0, times, seeds = plain_inputs(theta, x0, times, seeds)
    n = length(seeds)
    states = Array{Int}(undef, net.n_species, length(times), n)
    events = Vector{Int}(undef, n)
    status = Vector{Int}(undef, n)
    if Symbol(method) === :direct
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
    elseif Symbol(method) === :tau
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
        throw(ArgumentError("unknown method $(repr(method)); use :direct or :tau"))
    end
    return states, events, status
end

"""
    simulate_score(net, theta, n_params, x0, times, seeds; max_events = 10^7,
                   make_rng = Xoshiro) -> (states, scores, status)

Allocating form of [`simulate_score!`](@ref): `states` is `S × T × N`, `scores` is
`P × T × N` (`P = n_params`).
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
    status = Vector{Int}(undef, n)
    return simulate_score!(
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
    )
end

"""
    simulate_gumbel(net, theta, n_params, x0, times, seeds; temperature, time_smoothing,
                    max_events = 10^7, make_rng = Xoshiro) -> (states, tangents, status)

Allocating form of [`simulate_gumbel!`](@ref): `states` is `S × T × N`, `tangents` is
`P × S × T × N` (`P = n_params`).
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
    status = Vector{Int}(undef, n)
    return simulate_gumbel!(
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
    )
end

function plain_inputs(theta, x0, times, seeds)
    return collect(Float64, theta),
        collect(Int, x0),
        collect(Float64, times),
        collect(seeds)
end
