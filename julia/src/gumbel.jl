# Gumbel-softmax straight-through (GS-ST) tangents on exact direct-method paths.
#
# Forward pass: an exact SSA; the reaction is chosen by the Gumbel-max trick, so the path
# is exact in distribution (but not the path `simulate_direct!` draws for the same seed).
# Tangent pass, forward mode, carried by dual numbers in the state, the propensities and
# the event time (one partial per parameter):
#   * propensities evaluated at the dual state give ∂a/∂θ + ∂a/∂x ⋅ dx;
#   * relaxed choice y = softmax((log a + g) / λ); the straight-through update adds
#     ν'(y - value(y)) to the state, which moves its tangents and keeps its values exact;
#   * waiting time E / a0 with a dual a0 gives dτ = -τ da0 / a0, accumulated in the time;
#   * at an observation t_m the hard part is the state's tangent; the event-time part
#     relaxes the step H(t_m - t_k) to σ((t_m - t_k) / ε_m) in the tangent pass only, for
#     events within WINDOW ε_m of t_m, before or after it (the path runs on past the last
#     observation for that). ε_m = min(ε, t_m / EDGE) shrinks near t = 0, where no event
#     precedes the observation; X(0) = x0 has no event-time term.
# This mirrors the native kernel `ssagrad.backends.native._gumbel`; all propensities are
# re-evaluated at each event because dx changes every state's tangent.

"""Half-width of the event-time window in units of the smoothing `ε`: `σ'(12) < 7e-6`."""
const WINDOW = 12.0
"""The smoothing scale at observation `t_m` is at most `t_m / EDGE`."""
const EDGE = 4.0

"""
    observation_smoothing(times, time_smoothing)

The smoothing scale `ε_m = min(time_smoothing, t_m / EDGE)` of each observation (`0` at
`t_m = 0`), as in the native kernel.
"""
function observation_smoothing(times::AbstractVector{<:Real}, time_smoothing::Real)
    return [t > 0 ? min(Float64(time_smoothing), t / EDGE) : 0.0 for t in times]
end

"""
    gumbel_trajectory!(states, tangents, net, theta, x0, times, rng, max_events, inv_temp,
                       smoothing) -> (events, status)

One GS-ST path: `states` (`S × T`) and `tangents` (`P × S × T`, overwritten),
`tangents[p, s, m] ≈ ∂X_s(times[m]) / ∂θ_p`. `theta` comes from
[`seed_parameters`](@ref); `inv_temp = 1 / λ`; `smoothing[m]` is the time smoothing
`ε_m` of observation `m` ([`observation_smoothing`](@ref); all `0`: hard lookup, no
event-time term).
"""
function gumbel_trajectory!(
    states::AbstractMatrix{<:Integer},
    tangents::AbstractArray{<:Real, 3},
    net::ReactionNetwork,
    theta::AbstractVector{D},
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    rng::AbstractRNG,
    max_events::Integer,
    inv_temp::Real,
    smoothing::AbstractVector{<:Real},
) where {D <: Dual}
    x = convert(Vector{D}, x0) # exact integer values, tangents ∂x/∂θ
    a = Vector{D}(undef, n_reactions(net))
    y = similar(a)
    fill!(tangents, 0)
    # Events within `reach` of an observation still change its tangent.
    reach = WINDOW * maximum(smoothing; init = 0.0)
    t = zero(D) # event time with its tangent ∂t/∂θ
    m, events = 1, 0
    while true
        for j in eachindex(a)
            a[j] = propensity(net, j, x, theta)
        end
        a0 = total_propensity(a)
        t_next = value(a0) > 0 ? t + randexp(rng) / a0 : convert(D, Inf)
        while m <= length(times) && times[m] < value(t_next)
            record_tangents!(states, tangents, m, x)
            m += 1
        end
        # Done once every observation is recorded and the next event is out of reach.
        done = m > length(times) && !(value(t_next) - reach <= last(times))
        done && return events, STATUS_OK
        if events >= max_events
            for mm in m:lastindex(times)
                record_tangents!(states, tangents, mm, x)
            end
            return events, STATUS_MAX_EVENTS
        end
        chosen = gumbel_softmax!(y, a, inv_temp, rng)
        # Straight-through: the values stay exact, the tangents get ν'∂y.
        for j in eachindex(y)
            value(y[j]) > 0 || continue
            dy = y[j] - value(y[j])
            for p in csr_range(net.change_ptr, j)
                x[net.change_species[p]] += net.change_delta[p] * dy
            end
        end
        fire!(x, net, chosen)
        t = t_next
        events += 1
        if reach > 0
            event_time_term!(tangents, net, chosen, t, times, m, smoothing, reach)
        end
    end
end

"""
    gumbel_softmax!(y, a, inv_temp, rng) -> chosen

Gumbel-max choice among the live reactions (`a_j > 0`): `argmax_j a_j / e_j` with
`e_j ~ Exp(1)`, i.e. `argmax_j log a_j + g_j` with Gumbel `g_j`, which is `j` with
probability `a_j / a0`. Writes the relaxed one-hot `y = softmax((log a + g) / λ)`
(`inv_temp = 1 / λ`; zero for dead reactions) into `y`; its dual parts carry `∂y`.
"""
function gumbel_softmax!(
    y::AbstractVector,
    a::AbstractVector,
    inv_temp::Real,
    rng::AbstractRNG,
)
    chosen = 0
    for j in eachindex(a, y)
        if value(a[j]) > 0
            y[j] = a[j] / randexp(rng)
            if chosen == 0 || value(y[j]) > value(y[chosen])
                chosen = j
            end
        else
            y[j] = zero(eltype(y))
        end
    end
    key_max = y[chosen]
    for j in eachindex(y)
        if value(y[j]) > 0
            ratio = y[j] / key_max
            y[j] = inv_temp == 1 ? ratio : ratio^inv_temp
        end
    end
    y ./= foldl(+, y)
    return chosen
end

"""
    record_tangents!(states, tangents, m, x)

Store the values of the dual state `x` as observation `m` of `states` and add its
tangents to `tangents[:, :, m]`.
"""
function record_tangents!(
    states::AbstractMatrix,
    tangents::AbstractArray{<:Real, 3},
    m::Integer,
    x::AbstractVector{<:Dual},
)
    for s in eachindex(x)
        states[s, m] = Int(value(x[s]))
        tangents[:, s, m] .+= partials(x[s])
    end
    return nothing
end

"""
    event_time_term!(tangents, net, chosen, t, times, m, smoothing, reach)

Add the smoothed event-time term of an event of reaction `chosen` at the dual time `t`
to each observation within `reach` of it, scanning back from `m - 1` (already recorded)
and on from `m` (the next to record): `-ν σ'((t_m - t) / ε_m) / ε_m ⋅ ∂t` where
`|t_m - t| ≤ WINDOW ε_m`.
"""
function event_time_term!(
    tangents::AbstractArray{<:Real, 3},
    net::ReactionNetwork,
    chosen::Integer,
    t::Dual,
    times::AbstractVector{<:Real},
    m::Integer,
    smoothing::AbstractVector{<:Real},
    reach::Real,
)
    mm = m - 1
    while mm >= firstindex(times) && times[mm] >= value(t) - reach
        smooth_step!(tangents, net, chosen, times[mm] - value(t), smoothing[mm], t, mm)
        mm -= 1
    end
    mm = m
    while mm <= lastindex(times) && times[mm] <= value(t) + reach
        smooth_step!(tangents, net, chosen, times[mm] - value(t), smoothing[mm], t, mm)
        mm += 1
    end
    return nothing
end

# The relaxed step at one observation: lag = t_m - t, scale ε = ε_m.
function smooth_step!(tangents, net, chosen, lag, ε, t, m)
    ε > 0 && abs(lag) <= WINDOW * ε || return nothing
    # σ'(lag / ε) / ε with the logistic's derivative σ'(u) = 1 / (4 cosh²(u / 2))
    weight = 1 / (4 * ε * cosh(lag / (2 * ε))^2)
    for p in csr_range(net.change_ptr, chosen)
        coefficient = net.change_delta[p] * weight
        tangents[:, net.change_species[p], m] .-= coefficient .* partials(t)
    end
    return nothing
end

"""
    simulate_gumbel!(states, tangents, status, net, theta, n_params, x0, times, seeds,
                     max_events, temperature, time_smoothing; make_rng = Xoshiro,
                     events = nothing)

Exact paths with Gumbel-softmax straight-through tangents, one per seed, in parallel over
trajectories: `states` is `S × T × N`, `tangents` is `P × S × T × N` (the bytes of NumPy's
`(N, T, S, P)`), `tangents[p, s, m, i] ≈ ∂X_s(times[m]) / ∂θ_p` for the first
`P = n_params` entries of `theta`. `temperature` is λ of the softmax; `time_smoothing` is
ε of the event-time term, capped at `t_m / 4` at observation `t_m` (`0` drops the term: a
hard lookup, as stochastix does).

GS-ST is biased: the bias shrinks as λ → 0 while the variance grows; audit it against
the exact CME or the score function for each model and horizon. Given a vector `events`
(length `N`), `events[i]` receives the reactions path `i` fired.
"""
function simulate_gumbel!(
    states::AbstractArray{<:Integer, 3},
    tangents::AbstractArray{<:Real, 4},
    status::AbstractVector{<:Integer},
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    n_params::Integer,
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    seeds::AbstractVector{<:Integer},
    max_events::Integer,
    temperature::Real,
    time_smoothing::Real;
    make_rng = Xoshiro,
    events::Union{Nothing, AbstractVector{<:Integer}} = nothing,
)
    check_inputs(net, theta, x0, times)
    isfinite(temperature) && temperature > 0 ||
        throw(ArgumentError("temperature must be positive and finite, got $temperature"))
    isfinite(time_smoothing) && time_smoothing >= 0 ||
        throw(ArgumentError(
            "time_smoothing must be non-negative and finite, got $time_smoothing",
        ))
    n_species, n_times, n = net.n_species, length(times), length(seeds)
    check_size("states", states, (n_species, n_times, n))
    check_size("tangents", tangents, (n_params, n_species, n_times, n))
    gumbel_ensemble!(
        states,
        tangents,
        status,
        net,
        seed_parameters(theta, Val(n_params)),
        x0,
        times,
        seeds,
        max_events,
        1 / temperature,
        observation_smoothing(times, time_smoothing),
        make_rng,
        events,
    )
    return states, tangents, status
end

function gumbel_ensemble!(
    states,
    tangents,
    status,
    net,
    theta_dual,
    x0,
    times,
    seeds,
    max_events,
    inv_temp,
    smoothing,
    make_rng,
    events,
)
    Threads.@threads for i in eachindex(seeds, status)
        fired, status[i] = gumbel_trajectory!(
            view(states, :, :, i),
            view(tangents, :, :, :, i),
            net,
            theta_dual,
            x0,
            times,
            make_rng(seeds[i]),
            max_events,
            inv_temp,
            smoothing,
        )
        events === nothing || (events[i] = fired)
    end
    return nothing
end
