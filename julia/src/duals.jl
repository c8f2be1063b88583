# Forward-mode tangents: ForwardDiff dual numbers seeded on the network parameters.

"""Tag of SSAGrad's dual numbers (keeps them apart from an outer ForwardDiff call's)."""
struct SSAGradTag end

"""
    seed_parameters(theta, Val(P))

`theta` as dual numbers with `P` partials: entry `i ≤ P` (a network parameter) carries the
unit tangent `eᵢ`, the remaining entries (literals) carry zero tangents. Every quantity
computed from the result then carries its derivatives with respect to the `P` parameters;
a parameter used in several rate-law slots accumulates all its uses.
"""
function seed_parameters(theta::AbstractVector{<:Real}, ::Val{P}) where {P}
    P <= length(theta) ||
        throw(ArgumentError(
            "$P parameters requested but theta has $(length(theta)) entries",
        ))
    return [
        Dual{SSAGradTag}(Float64(theta[i]), ntuple(p -> Float64(p == i), Val(P)))
        for i in eachindex(theta)
    ]
end
