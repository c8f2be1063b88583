# Gillespie's direct method with a reaction dependency graph.

"""Trajectory status: every observation time was reached (as `ssagrad`'s `STATUS_OK`)."""
const STATUS_OK = 0
"""Trajectory status: stopped at `max_events` before the last observation time."""
const STATUS_MAX_EVENTS = 1

"""
    record!(states, m, x)

Store the state `x` as observation `m` (column `m` of the `S × T` matrix `states`).
"""
function record!(states::AbstractMatrix, m::Integer, x::AbstractVector)
    states[:, m] .= x
    return states
end

"""
    direct_trajectory!(states, net, theta, x0, times, rng, max_events) -> (events, status)

One exact SSA path into `states` (`S × T`): column `m` is the state after the last event
at or before `times[m]`. Waiting times are `Exp(1) / a0`, the reaction is chosen by
inversion; only the propensities in the dependency list of the fired reaction are
recomputed. A path that reaches `max_events` keeps its last state for the remaining times.
"""
function direct_trajectory!(
    states::AbstractMatrix{<:Integer},
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    rng::AbstractRNG,
    max_events::Integer,
)
    x = collect(Int, x0)
    a = [propensity(net, j, x, theta) for j in 1:n_reactions(net)]
    m, t, events = 1, 0.0, 0
    while true
        a0 = total_propensity(a)
        t_next = a0 > 0 ? t + randexp(rng) / a0 : Inf
        while m <= length(times) && times[m] < t_next
            record!(states, m, x)
            m += 1
        end
        m > length(times) && return events, STATUS_OK
        if events >= max_events
            for mm in m:length(times)
                record!(states, mm, x)
            end
            return events, STATUS_MAX_EVENTS
        end
        j = select_reaction(a, a0, rand(rng))
        fire!(x, net, j)
        update_dependents!(a, net, j, x, theta)
        t = t_next
        events += 1
    end
end

"""
    simulate_direct!(states, events, status, net, theta, x0, times, seeds, max_events;
                     make_rng = Xoshiro)

Simulate one exact trajectory per seed, in parallel over trajectories
(`Threads.@threads`), into `states` (`S × T × N`, the bytes of NumPy's `(N, T, S)`),
`events` (reaction firings) and `status` ([`STATUS_OK`](@ref) or
[`STATUS_MAX_EVENTS`](@ref)).

Trajectory `i` draws only from `make_rng(seeds[i])`, so results do not depend on the
number of threads, and a prefix of `seeds` gives a prefix of the ensemble.

# Examples
```julia
julia> net = ReactionNetwork([0; 1;;], [1; 0;;]);  # k, 0 --> A;  g, A --> 0

julia> states = zeros(Int, 1, 3, 100); events = zeros(Int, 100); status = zeros(Int, 100);

julia> simulate_direct!(states, events, status, net, [10.0, 1.0], [0], [1.0, 2.0, 5.0],
                        UInt64.(1:100), 10^6);

julia> all(==(STATUS_OK), status)
true
```
"""
function simulate_direct!(
    states::AbstractArray{<:Integer, 3},
    events::AbstractVector{<:Integer},
    status::AbstractVector{<:Integer},
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    seeds::AbstractVector{<:Integer},
    max_events::Integer;
    make_rng = Xoshiro,
)
    check_inputs(net, theta, x0, times)
    check_size("states", states, (net.n_species, length(times), length(seeds)))
    Threads.@threads for i in eachindex(seeds, events, status)
        events[i], status[i] = direct_trajectory!(
            view(states, :, :, i),
            net,
            theta,
            x0,
            times,
            make_rng(seeds[i]),
            max_events,
        )
    end
    return states, events, status
end
