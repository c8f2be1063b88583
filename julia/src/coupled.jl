# Anderson's (2012) coupled finite differences, as the native kernel
# `ssagrad.backends.native._coupled`: a pair (X⁺, X⁻) at constants θ⁺ and θ⁻ is one
# direct-method simulation of 3R channels. Reaction j splits into a shared channel
# `min(a_j(X⁺), a_j(X⁻))` that moves both paths and two one-sided remainders; each
# marginal is an exact SSA path while the pair stays close, so `f(X⁺) - f(X⁻)` has
# variance O(h) rather than O(1).

"""
    direction_seed(seed, d)

Seed of the pair for perturbation `d` of a trajectory with seed `seed`: a fixed hash
([`mix64`](@ref)), so the directions are independent of one another and of the thread
count.
"""
direction_seed(seed::Integer, d::Integer) = mix64(
    mix64(seed) + 0x9e3779b97f4a7c15 * UInt64(d),
)

"""Fire reaction `j` in `x` and refresh its dependents' propensities `a` at `theta`."""
function coupled_step!(x, a, net::ReactionNetwork, j::Integer, theta)
    fire!(x, net, j)
    update_dependents!(a, net, j, x, theta)
    return nothing
end

"""
    coupled_channel(ap, am, target) -> (j, offset)

The reaction whose interval (of width `max(ap_j, am_j)`) holds `target`, and the
position of `target` inside it; rounding at the top end falls back to the last live
reaction.
"""
function coupled_channel(ap::AbstractVector, am::AbstractVector, target::Real)
    j = 1
    width = max(ap[1], am[1])
    while target >= width && j < length(ap)
        target -= width
        j += 1
        width = max(ap[j], am[j])
    end
    while max(ap[j], am[j]) <= 0
        j -= 1
    end
    return j, target
end

"""
    coupled_pair!(out_plus, out_minus, net, theta_plus, theta_minus, x0, times, rng,
                  max_events) -> (events, status)

One coupled pair into `out_plus` and `out_minus` (`S × T` each): column `m` is the
state after the last event at or before `times[m]`.
"""
function coupled_pair!(
    out_plus,
    out_minus,
    net::ReactionNetwork,
    theta_plus,
    theta_minus,
    x0,
    times,
    rng::AbstractRNG,
    max_events::Integer,
)
    xp, xm = collect(Int, x0), collect(Int, x0)
    ap = [propensity(net, j, xp, theta_plus) for j in 1:n_reactions(net)]
    am = [propensity(net, j, xm, theta_minus) for j in 1:n_reactions(net)]
    m, t, events = 1, 0.0, 0
    while true
        total = foldl(+, (max(ap[j], am[j]) for j in eachindex(ap)))
        t_next = total > 0 ? t + randexp(rng) / total : Inf
        while m <= length(times) && times[m] < t_next
            record!(out_plus, m, xp)
            record!(out_minus, m, xm)
            m += 1
        end
        m > length(times) && return events, STATUS_OK
        if events >= max_events
            for mm in m:lastindex(times)
                record!(out_plus, mm, xp)
                record!(out_minus, mm, xm)
            end
            return events, STATUS_MAX_EVENTS
        end
        j, offset = coupled_channel(ap, am, rand(rng) * total)
        # First the shared part min(ap_j, am_j), then the larger path's own remainder.
        if offset < min(ap[j], am[j]) || ap[j] == am[j]
            coupled_step!(xp, ap, net, j, theta_plus)
            coupled_step!(xm, am, net, j, theta_minus)
        elseif ap[j] > am[j]
            coupled_step!(xp, ap, net, j, theta_plus)
        else
            coupled_step!(xm, am, net, j, theta_minus)
        end
        t = t_next
        events += 1
    end
end

"""
    simulate_coupled!(x_plus, x_minus, status, net, theta_plus, theta_minus, x0, times,
                      seeds, max_events; make_rng = Xoshiro, events = nothing)

Anderson-coupled pairs for every seed and every perturbation `d`, in parallel over
trajectories: `theta_plus[:, d]` and `theta_minus[:, d]` are the constants of pair `d`
(`(P + L) × D` matrices, the bytes of NumPy's `(D, P + L)`); `x_plus` and `x_minus`
are `D × S × T × N` (NumPy's `(N, T, S, D)`). `status[i]` is
[`STATUS_MAX_EVENTS`](@ref) if any pair of trajectory `i` hit `max_events`. Pair `d` of
trajectory `i` draws from `make_rng(direction_seed(seeds[i], d))`. Given a vector
`events` (length `N`), `events[i]` receives the coupled steps of trajectory `i`, summed
over its pairs.
"""
function simulate_coupled!(
    x_plus::AbstractArray{<:Integer, 4},
    x_minus::AbstractArray{<:Integer, 4},
    status::AbstractVector{<:Integer},
    net::ReactionNetwork,
    theta_plus::AbstractMatrix{<:Real},
    theta_minus::AbstractMatrix{<:Real},
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    seeds::AbstractVector{<:Integer},
    max_events::Integer;
    make_rng = Xoshiro,
    events::Union{Nothing, AbstractVector{<:Integer}} = nothing,
)
    size(theta_plus) == size(theta_minus) ||
        throw(DimensionMismatch("theta_plus and theta_minus must have the same size"))
    for d in axes(theta_plus, 2)
        check_inputs(net, view(theta_plus, :, d), x0, times)
        check_inputs(net, view(theta_minus, :, d), x0, times)
    end
    n_d, n_s, n_t, n = size(theta_plus, 2), net.n_species, length(times), length(seeds)
    check_size("x_plus", x_plus, (n_d, n_s, n_t, n))
    check_size("x_minus", x_minus, (n_d, n_s, n_t, n))
    Threads.@threads for i in eachindex(seeds, status)
        out_plus, out_minus = zeros(Int, n_s, n_t), zeros(Int, n_s, n_t)
        worst, total = STATUS_OK, 0
        for d in 1:n_d
            fired, s = coupled_pair!(
                out_plus,
                out_minus,
                net,
                view(theta_plus, :, d),
                view(theta_minus, :, d),
                x0,
                times,
                make_rng(direction_seed(seeds[i], d)),
                max_events,
            )
            total += fired
            s == STATUS_OK || (worst = s)
            x_plus[d, :, :, i] .= out_plus
            x_minus[d, :, :, i] .= out_minus
        end
        status[i] = worst
        events === nothing || (events[i] = total)
    end
    return x_plus, x_minus, status
end
