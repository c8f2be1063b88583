# Pieces of the alternative-path kernel (altpath.jl): the seeds of its auxiliary stream,
# the reactions of each parameter, the uniformisation clock of an idle state, the
# primal's inverted choice and the residual choice of a coupled alternative.

"""Mixed into a trajectory's seed for its flip-selection and pruning stream."""
const AUX_SALT = 0xd1b54a32d192ed03

"""
    mix64(z)

SplitMix64's finaliser: a fixed bijective hash of a 64-bit word, the same on every
Julia version (unlike `hash`). Derives the auxiliary streams from trajectory seeds.
"""
function mix64(z::UInt64)
    z = (z ⊻ (z >> 30)) * 0xbf58476d1ce4e5b9
    z = (z ⊻ (z >> 27)) * 0x94d049bb133111eb
    return z ⊻ (z >> 31)
end

mix64(z::Integer) = mix64(z % UInt64)

"""
    parameter_reactions(net, n_params) -> Vector{Vector{Int}}

For each of the first `n_params` entries of `theta`, the reactions whose rate law reads
it (in any slot), in reaction order.
"""
function parameter_reactions(net::ReactionNetwork, n_params::Integer)
    uses = [Int[] for _ in 1:n_params]
    for j in 1:n_reactions(net), k in 1:3
        p = net.rate_slots[j, k]
        if 1 <= p <= n_params && (isempty(uses[p]) || last(uses[p]) != j)
            push!(uses[p], j)
        end
    end
    return uses
end

"""
    floor_clock(net, x, theta_floor, margin)

Uniformisation rate of a state with `a0 = 0`: `margin` times the total propensity with
zero-valued parameters replaced by 1 (`theta_floor`), so that a reaction switched off by
a zero rate constant can still be flipped on.
"""
function floor_clock(net::ReactionNetwork, x, theta_floor, margin)
    return margin *
        foldl(+, (propensity(net, j, x, theta_floor) for j in 1:n_reactions(net)))
end

"""
    primal_choice(a, a0, rate, target) -> (choice, width, within)

The primal's channel for `target = u * rate`: reaction `j` by inversion over the
propensities `a` when `target < a0`, else the no-op channel `length(a) + 1`. `width` is
the width of the chosen bin and `within ∈ [0, 1)` the position of the uniform inside
it — again uniform and independent of the choice, so it can drive the coupling of the
alternatives.
"""
function primal_choice(a::AbstractVector, a0::Real, rate::Real, target::Real)
    n = length(a)
    if target < a0
        lower, j = 0.0, 1
        while j < n && lower + a[j] <= target
            lower += a[j]
            j += 1
        end
        if a[j] <= 0
            # rounding at the top end: the last live reaction
            j = findlast(>(0), a)
            lower = a0 - a[j]
        end
        width = a[j]
        within = (target - lower) / width
    else
        j, width = n + 1, rate - a0
        within = (target - a0) / width
    end
    return j, width, clamp(within, 0.0, prevfloat(1.0))
end

"""
    residual_choice(a, a0, b, b0, r) -> channel

A channel (`length(a) + 1` is the no-op) drawn with uniform `r` from the residual
`(q - p)⁺` of an alternative with propensities `b` (total `b0`) against the primal's
`a` (total `a0`); the common clock cancels in the no-op bin. `0` if the residual is
empty (only rounding separated the two).
"""
function residual_choice(a::AbstractVector, a0::Real, b::AbstractVector, b0::Real, r::Real)
    n = length(a)
    total = foldl(+, (max(b[j] - a[j], 0.0) for j in 1:n); init = 0.0)
    total += max(a0 - b0, 0.0)
    total > 0 || return 0
    target = r * total
    acc, last_positive = 0.0, 0
    for j in 1:n
        if b[j] > a[j]
            acc += b[j] - a[j]
            last_positive = j
            acc > target && return j
        end
    end
    return a0 > b0 ? n + 1 : last_positive
end

"""
    flip_weight(grad, a, a0, rate, choice, uses, p, aux) -> (weight, channel)

The flip of the primal's choice for parameter `p` (star coupling with the no-op): after
a no-op, to reaction `j` drawn ∝ `max(∂a_j/∂θ_p, 0)` with weight
`Σ max(∂a_j/∂θ_p, 0) / (rate - a0)`; after reaction `j` with `∂a_j/∂θ_p < 0`, to the
no-op with weight `-∂a_j/∂θ_p / a_j`. Weight `0` when nothing flips.
"""
function flip_weight(grad, a, a0, rate, choice, uses, p, aux)
    n = length(a)
    if choice == n + 1
        gain = foldl(+, (max(grad[j, p], 0.0) for j in uses); init = 0.0)
        gain > 0 || return 0.0, 0
        length(uses) == 1 && return gain / (rate - a0), only(uses)
        target, acc, pick = rand(aux) * gain, 0.0, first(uses)
        for j in uses
            grad[j, p] > 0 || continue
            acc += grad[j, p]
            pick = j
            acc > target && break
        end
        return gain / (rate - a0), pick
    end
    g = grad[choice, p]
    return g < 0 ? (-g / a[choice], n + 1) : (0.0, 0)
end

"""
    apply_change!(x, net, j, sign)

Add `sign` times the net change of reaction `j` to the state `x`.
"""
function apply_change!(x::AbstractVector, net::ReactionNetwork, j::Integer, sign::Integer)
    for p in csr_range(net.change_ptr, j)
        x[net.change_species[p]] += sign * net.change_delta[p]
    end
    return x
end
