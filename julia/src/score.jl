# Direct-method paths with their causal score functions, by forward-mode dual numbers.
#
# The path log-likelihood on [0, t_m] is
#     log p = Σ_{t_k ≤ t_m} [log a_{j_k}(x_k) - a0(x_k) τ_k] - a0(x_K) (t_m - t_K),
# the last term being the survival of the gap after the last event. Evaluating the
# propensities with dual-number constants makes `log p` a dual whose partials are the
# score ∂ log p / ∂θ (for mass action: N_i / k_i - ∫ a_i / k_i). The path itself only
# uses `value`s and the same random numbers as `direct_trajectory!`, so a seed gives the
# same states as `simulate_direct!`.

"""
    score_trajectory!(states, scores, net, theta, x0, times, rng, max_events)
        -> (events, status)

One exact path into `states` (`S × T`) and its causal scores into `scores` (`P × T`):
`scores[:, m]` is `∂ log p(path on [0, times[m]]) / ∂θ` including the survival term.
`theta` must come from [`seed_parameters`](@ref). Times not reached before `max_events`
get the last state and `NaN` scores.
"""
function score_trajectory!(
    states::AbstractMatrix{<:Integer},
    scores::AbstractMatrix{<:Real},
    net::ReactionNetwork,
    theta::AbstractVector{<:Dual},
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    rng::AbstractRNG,
    max_events::Integer,
)
    x = collect(Int, x0)
    a = [propensity(net, j, x, theta) for j in 1:n_reactions(net)]
    log_lik = zero(eltype(a))
    m, t, events = 1, 0.0, 0
    while true
        a0 = total_propensity(a)
        t_next = value(a0) > 0 ? t + randexp(rng) / value(a0) : Inf
        while m <= length(times) && times[m] < t_next
            record!(states, m, x)
            scores[:, m] .= partials(log_lik - a0 * (times[m] - t))
            m += 1
        end
        m > length(times) && return events, STATUS_OK
        if events >= max_events
            for mm in m:lastindex(times)
                record!(states, mm, x)
                scores[:, mm] .= NaN
            end
            return events, STATUS_MAX_EVENTS
        end
        j = select_reaction(a, value(a0), rand(rng))
        log_lik += log(a[j]) - a0 * (t_next - t)
        fire!(x, net, j)
        update_dependents!(a, net, j, x, theta)
        t = t_next
        events += 1
    end
end

"""
    simulate_score!(states, scores, status, net, theta, n_params, x0, times, seeds,
                    max_events; make_rng = Xoshiro, events = nothing)

Exact paths and their causal score functions, one per seed, in parallel over
trajectories: `states` is `S × T × N`, `scores` is `P × T × N` with `P = n_params` (the
first `n_params` entries of `theta` are the parameters, the rest literals), the bytes of
NumPy's `(N, T, P)`. `scores[p, m, i]` is `∂ log p / ∂θ_p` of path `i` on `[0, times[m]]`,
including the survival term after the last event.

An unbiased estimate of `∂ E[f(X(t_m))] / ∂θ_p` is the mean over paths of
`(f(X(t_m)) - b) * scores[p, m, i]` with a baseline `b` (e.g. the leave-one-out mean).
The states equal those of [`simulate_direct!`](@ref) for the same seeds. Given a vector
`events` (length `N`), `events[i]` receives the reactions path `i` fired.
"""
function simulate_score!(
    states::AbstractArray{<:Integer, 3},
    scores::AbstractArray{<:Real, 3},
    status::AbstractVector{<:Integer},
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    n_params::Integer,
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    seeds::AbstractVector{<:Integer},
    max_events::Integer;
    make_rng = Xoshiro,
    events::Union{Nothing, AbstractVector{<:Integer}} = nothing,
)
    check_inputs(net, theta, x0, times)
    check_size("states", states, (net.n_species, length(times), length(seeds)))
    check_size("scores", scores, (n_params, length(times), length(seeds)))
    # The dual type depends on n_params: the threaded loop sits behind a function barrier.
    score_ensemble!(
        states,
        scores,
        status,
        net,
        seed_parameters(theta, Val(n_params)),
        x0,
        times,
        seeds,
        max_events,
        make_rng,
        events,
    )
    return states, scores, status
end

function score_ensemble!(
    states,
    scores,
    status,
    net,
    theta_dual,
    x0,
    times,
    seeds,
    max_events,
    make_rng,
    events,
)
    Threads.@threads for i in eachindex(seeds, status)
        fired, status[i] = score_trajectory!(
            view(states, :, :, i),
            view(scores, :, :, i),
            net,
            theta_dual,
            x0,
            times,
            make_rng(seeds[i]),
            max_events,
        )
        events === nothing || (events[i] = fired)
    end
    return nothing
end
