# Alternative paths (the stochastic-triple idea) with uniformisation, star flips and
# pruning, as the native kernel `ssagrad.backends.native._altpath`:
#
# * Steps come at a clock `L = margin a0(x)` of the primal's state (raised to the total
#   propensity of a live alternative; an idle state takes `floor_clock`), so all the
#   θ-dependence sits in the categorical choice of the step (a reaction or a no-op).
# * Flips (derivative of that choice) move probability between each reaction and the
#   no-op only: see `flip_weight`. A flip spawns an alternative path.
# * Pruning: one carried alternative per parameter; a new flip of weight `w` replaces
#   the carried one (weight `W`) with probability `w / (W + w)`, total weight `W + w`.
#   An alternative that meets the primal again is dropped and its weight reset to 0.
# * Coupling: alternatives share the primal's clock and keep its channel with
#   probability `min(1, q/p)`, else draw from the residual `(q - p)⁺`, driven by the
#   position of the primal's uniform inside its bin (no random numbers of their own).
# Flip selection and pruning draw from an auxiliary stream seeded from the trajectory's
# seed. Then `∂E[f(X(t_m))]/∂θ_p = E[W_p(t_m) (f(Y_p(t_m)) - f(X(t_m)))]`.

"""Working arrays of one alternative-path trajectory (`P` parameters)."""
struct AltPathState
    x::Vector{Int}        # primal state
    a::Vector{Float64}    # primal propensities
    grad::Matrix{Float64} # R × P: ∂a_j/∂θ_p at the primal state
    y::Matrix{Int}        # S × P: carried alternatives
    b::Matrix{Float64}    # R × P: their propensities
    b0::Vector{Float64}   # their totals
    live::Vector{Bool}
    weight::Vector{Float64}
    alt_choice::Vector{Int}
    z::Vector{Int} # scratch state
end

function AltPathState(net::ReactionNetwork, theta_dual, x0, n_params::Integer)
    x = collect(Int, x0)
    n_r, n_s = n_reactions(net), net.n_species
    state = AltPathState(
        x,
        zeros(n_r),
        zeros(n_r, n_params),
        zeros(Int, n_s, n_params),
        zeros(n_r, n_params),
        zeros(n_params),
        fill(false, n_params),
        zeros(n_params),
        zeros(Int, n_params),
        similar(x),
    )
    refresh_primal!(state, net, 1:n_r, theta_dual)
    return state
end

"""Propensities and their parameter gradients of `reactions` at the primal state."""
function refresh_primal!(state::AltPathState, net, reactions, theta_dual)
    for i in reactions
        ai = propensity(net, i, state.x, theta_dual)
        state.a[i] = value(ai)
        d = partials(ai)
        for p in axes(state.grad, 2)
            state.grad[i, p] = d[p]
        end
    end
    return state
end

"""The common clock: the primal's `margin a0`, raised to any live alternative's total."""
function clock_rate(state::AltPathState, net, a0, theta_floor, margin)
    rate = a0 > 0 ? margin * a0 : floor_clock(net, state.x, theta_floor, margin)
    for p in eachindex(state.live)
        state.live[p] || continue
        state.b0[p] = foldl(+, view(state.b, :, p))
        rate = max(rate, state.b0[p])
    end
    return rate
end

"""Channels of the live alternatives, maximally coupled to the primal's `choice`."""
function couple_alternatives!(state::AltPathState, a0, rate, choice, width, within)
    n = length(state.a)
    for p in eachindex(state.live)
        state.live[p] || continue
        q = choice <= n ? state.b[choice, p] : rate - state.b0[p]
        state.alt_choice[p] = choice
        if q < width && within * width >= q
            r = min((within * width - q) / (width - q), prevfloat(1.0))
            j = residual_choice(state.a, a0, view(state.b, :, p), state.b0[p], r)
            j > 0 && (state.alt_choice[p] = j)
        end
    end
    return state
end

"""Advance alternative `p` by its channel, then merge the primal's flip `(w, channel)`."""
function advance_alternative!(state::AltPathState, net, theta, p, choice, flip, aux)
    n = length(state.a)
    y, b = view(state.y, :, p), view(state.b, :, p)
    j = state.alt_choice[p]
    if state.live[p] && j <= n
        apply_change!(y, net, j, 1)
        update_dependents!(b, net, j, y, theta)
    end
    w, channel = flip
    if w > 0
        total = state.weight[p] + w
        if rand(aux) * total < w
            # the flip's post-step state replaces the carried one
            state.z .= state.x
            b .= state.a
            for (sign, k) in ((-1, choice), (1, channel))
                k <= n || continue
                apply_change!(state.z, net, k, sign)
                update_dependents!(b, net, k, state.z, theta)
            end
            y .= state.z
            state.live[p] = true
        end
        state.weight[p] = total
    end
    state.live[p] && y == state.x && (state.live[p] = false)
    state.live[p] || (state.weight[p] = 0.0) # a merged alternative contributes nothing
    return state
end

"""Observation `m`: primal state, alternatives (the primal where none), weights."""
function record_alternatives!(states, alt_states, weights, m, state::AltPathState)
    states[:, m] .= state.x
    for p in eachindex(state.live), s in eachindex(state.x)
        alt_states[p, s, m] = state.live[p] ? state.y[s, p] : state.x[s]
    end
    weights[:, m] .= state.weight
    return nothing
end

"""
    altpath_trajectory!(states, alt_states, weights, net, theta_dual, theta, theta_floor,
                        uses, x0, times, rng, aux, max_events, margin) -> (steps, status)

One primal path with its pruned alternatives: `states` (`S × T`), `alt_states`
(`P × S × T`), `weights` (`P × T`). `steps` counts uniformisation steps (firings and
no-ops); `max_events` caps them.
"""
function altpath_trajectory!(
    states,
    alt_states,
    weights,
    net,
    theta_dual,
    theta,
    theta_floor,
    uses,
    x0,
    times,
    rng,
    aux,
    max_events,
    margin,
)
    state = AltPathState(net, theta_dual, x0, size(weights, 1))
    flips = [(0.0, 0) for _ in axes(weights, 1)]
    m, t, steps = 1, 0.0, 0
    while true
        a0 = total_propensity(state.a)
        rate = clock_rate(state, net, a0, theta_floor, margin)
        t_next = rate > 0 ? t + randexp(rng) / rate : Inf
        while m <= length(times) && times[m] < t_next
            record_alternatives!(states, alt_states, weights, m, state)
            m += 1
        end
        m > length(times) && return steps, STATUS_OK
        if steps >= max_events
            for mm in m:lastindex(times)
                record_alternatives!(states, alt_states, weights, mm, state)
            end
            return steps, STATUS_MAX_EVENTS
        end
        choice, width, within = primal_choice(state.a, a0, rate, rand(rng) * rate)
        couple_alternatives!(state, a0, rate, choice, width, within)
        for p in eachindex(flips)
            # from the pre-step state
            flips[p] = flip_weight(state.grad, state.a, a0, rate, choice, uses[p], p, aux)
        end
        if choice <= n_reactions(net)
            fire!(state.x, net, choice)
            refresh_primal!(state, net, dependents(net, choice), theta_dual)
        end
        for p in eachindex(flips)
            advance_alternative!(state, net, theta, p, choice, flips[p], aux)
        end
        t = t_next
        steps += 1
    end
end

"""
    simulate_altpath!(states, alt_states, weights, status, net, theta, n_params, x0,
                      times, seeds, max_events, rate_margin; make_rng = Xoshiro,
                      events = nothing)

Primal paths with one pruned alternative per parameter, one per seed, in parallel over
trajectories: `states` is `S × T × N`, `alt_states` is `P × S × T × N` and `weights`
`P × T × N` (the bytes of NumPy's `(N, T, S)`, `(N, T, S, P)` and `(N, T, P)`), for
the first `P = n_params` entries of `theta`. Unbiased:
`∂E[f(X(t_m))]/∂θ_p ≈ mean_i weights[p, m, i] (f(alt_states[p, :, m, i]) - f(states[:, m, i]))`.
`rate_margin > 1` is the uniformisation clock as a multiple of `a0`. Given a vector
`events` (length `N`), `events[i]` receives the uniformisation steps of path `i`
(firings and no-ops).
"""
function simulate_altpath!(
    states::AbstractArray{<:Integer, 3},
    alt_states::AbstractArray{<:Integer, 4},
    weights::AbstractArray{<:Real, 3},
    status::AbstractVector{<:Integer},
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    n_params::Integer,
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    seeds::AbstractVector{<:Integer},
    max_events::Integer,
    rate_margin::Real;
    make_rng = Xoshiro,
    events::Union{Nothing, AbstractVector{<:Integer}} = nothing,
)
    check_inputs(net, theta, x0, times)
    isfinite(rate_margin) && rate_margin > 1 ||
        throw(ArgumentError("rate_margin must be a finite number > 1, got $rate_margin"))
    n_s, n_t, n = net.n_species, length(times), length(seeds)
    check_size("states", states, (n_s, n_t, n))
    check_size("alt_states", alt_states, (n_params, n_s, n_t, n))
    check_size("weights", weights, (n_params, n_t, n))
    theta_values = collect(Float64, theta)
    theta_floor = [p <= n_params && v == 0 ? 1.0 : v for (p, v) in enumerate(theta_values)]
    kernel = (net, seed_parameters(theta_values, Val(n_params)), theta_values, theta_floor)
    uses = parameter_reactions(net, n_params)
    Threads.@threads for i in eachindex(seeds, status)
        steps, status[i] = altpath_trajectory!(
            view(states, :, :, i),
            view(alt_states, :, :, :, i),
            view(weights, :, :, i),
            kernel...,
            uses,
            x0,
            times,
            make_rng(seeds[i]),
            make_rng(mix64(mix64(seeds[i]) ⊻ AUX_SALT)),
            max_events,
            rate_margin,
        )
        events === nothing || (events[i] = steps)
    end
    return states, alt_states, weights, status
end
