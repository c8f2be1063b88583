# Propensities a_j(x) = f_j(x) prod_s C(x_s, r_js), shared by every kernel.
#
# The functions are generic in the element types: integer states and Float64 constants
# for simulation, dual-number constants for the score function, dual-number states and
# constants for the Gumbel-softmax tangents. Branches compare `value`s, never duals.

# A copy number as a real: integers become Float64, dual-number states stay duals.
as_real(count::Integer) = Float64(count)
as_real(count::Real) = count

"""
    combinatorial(net, j, x)

`∏ₛ C(xₛ, r_js)` for reaction `j`, on the polynomial extension
`C(x, r) = x (x - 1) ⋯ (x - r + 1) / r!` (so dual-number states get its derivative),
taken as zero below `x = r - 1`, as the native kernels do.
"""
function combinatorial(net::ReactionNetwork, j::Integer, x::AbstractVector)
    comb = one(as_real(zero(eltype(x))))
    for p in csr_range(net.reactant_ptr, j)
        count = as_real(x[net.reactant_species[p]])
        r = net.reactant_coeff[p]
        value(count) < r - 1 && return zero(comb)
        factor = one(comb)
        for i in 0:(r - 1)
            factor = factor * (count - i) / (i + 1)
        end
        comb *= factor
    end
    return comb
end

"""
    hill_power(z, n)

`zⁿ` for `z ≥ 0` as the native kernels take it at `z = 0`: `0⁰ = 1` and `0ⁿ = 0`, except
that for `n = 1` the result keeps the tangent of `z` (the right derivative of `z¹`).
"""
function hill_power(z, n)
    value(z) > 0 && return z^n
    value(n) == 1 && return z * one(n)
    return value(n) == 0 ? one(z * n) : zero(z * n)
end

"""
    rate_factor(net, j, x, theta)

The rate law `f_j(x)`: `k` for mass action, `v xⁿ / (Kⁿ + xⁿ)` (hill) or
`v Kⁿ / (Kⁿ + xⁿ)` (hillr) of the regulating species.
"""
function rate_factor(
    net::ReactionNetwork,
    j::Integer,
    x::AbstractVector,
    theta::AbstractVector,
)
    slots = net.rate_slots
    v = theta[slots[j, 1]]
    code = net.rate_code[j]
    code == MASS_ACTION && return v
    n = theta[slots[j, 3]]
    xn = hill_power(as_real(x[net.rate_species[j]]), n)
    kn = hill_power(theta[slots[j, 2]], n)
    denom = kn + xn
    value(denom) > 0 || return zero(v * denom)
    return code == HILL ? v * xn / denom : v * kn / denom
end

"""
    propensity(net, j, x, theta)

Propensity `a_j(x) = f_j(x) ∏ₛ C(xₛ, r_js)` of reaction `j` in state `x` with constants
`theta = [parameters; literals]` (binomial convention of Gillespie, Catalyst and
JumpProcesses: `2A → B` at rate `k` has `a = k A (A - 1) / 2`).

Dual numbers in `theta` (or `x`) carry their tangents through, which is how the gradient
kernels get `∂a/∂θ` (and `∂a/∂x`).
"""
function propensity(
    net::ReactionNetwork,
    j::Integer,
    x::AbstractVector,
    theta::AbstractVector,
)
    return rate_factor(net, j, x, theta) * combinatorial(net, j, x)
end

"""
    total_propensity(a)

`a0 = a₁ + ⋯ + a_R` summed left to right, so reals and dual numbers (whose values follow
the same arithmetic) round alike and a seed gives the same path in every kernel.
"""
total_propensity(a::AbstractVector) = foldl(+, a)

"""
    select_reaction(a, a0, u)

The reaction `j` with `a₁ + ⋯ + a_{j-1} ≤ u a0 < a₁ + ⋯ + a_j` (inversion, `u ∈ [0, 1)`);
when rounding lands past the end, the last reaction with a positive propensity.
"""
function select_reaction(a::AbstractVector, a0::Real, u::Real)
    target = u * a0
    j = firstindex(a)
    acc = value(a[j])
    while acc <= target && j < lastindex(a)
        j += 1
        acc += value(a[j])
    end
    while value(a[j]) <= 0
        j -= 1
    end
    return j
end

"""
    fire!(x, net, j)

Apply the net change of reaction `j` to the state `x`.
"""
function fire!(x::AbstractVector, net::ReactionNetwork, j::Integer)
    for p in csr_range(net.change_ptr, j)
        x[net.change_species[p]] += net.change_delta[p]
    end
    return x
end

"""
    dependents(net, j)

The reactions whose propensity may change when reaction `j` fires.
"""
function dependents(net::ReactionNetwork, j::Integer)
    return view(net.dependency_index, csr_range(net.dependency_ptr, j))
end

"""
    update_dependents!(a, net, j, x, theta)

Recompute the propensities that may have changed after reaction `j` fired.
"""
function update_dependents!(
    a::AbstractVector,
    net::ReactionNetwork,
    j::Integer,
    x::AbstractVector,
    theta::AbstractVector,
)
    for p in csr_range(net.dependency_ptr, j)
        i = net.dependency_index[p]
        a[i] = propensity(net, i, x, theta)
    end
    return a
end
