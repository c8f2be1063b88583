# Reaction networks as plain arrays: the kernel contract of ssagrad, 1-based.

"""Rate-law code of mass action, `f_j = k` (as `ssagrad.network.MASS_ACTION`)."""
const MASS_ACTION = 0
"""Rate-law code of an activating Hill law, `f_j = v xⁿ / (Kⁿ + xⁿ)`."""
const HILL = 1
"""Rate-law code of a repressing Hill law, `f_j = v Kⁿ / (Kⁿ + xⁿ)`."""
const HILLR = 2

"""
    ReactionNetwork(; n_species, reactant_ptr, reactant_species, reactant_coeff,
                    change_ptr, change_species, change_delta, rate_code, rate_species,
                    rate_slots, dependency_ptr, dependency_index)
    ReactionNetwork(reactants, products; rate_code, rate_species, rate_slots)

A reaction network as the arrays of `ssagrad.network.NetworkArrays`, with **1-based**
indices: each pointer and index array is the Python one plus 1, so the Python sentinel
`-1` ("none") becomes `0`. The conversion happens once, at the boundary (the Python
backend adds 1 before calling Julia); the kernels never see 0-based indices.

* Reactants of reaction `j` are `reactant_species[reactant_ptr[j]:reactant_ptr[j+1]-1]`
  with coefficients `reactant_coeff` (CSR); its net change is `change_species`,
  `change_delta` in the same layout.
* `rate_code[j]` is `SSAGrad.MASS_ACTION`, `SSAGrad.HILL` or `SSAGrad.HILLR`;
  `rate_species[j]` the regulating species of a Hill law (`0` for mass action);
  `rate_slots[j, :]` indices into `theta` (`k` in slot 1 for mass action, `(v, K, n)` for
  Hill laws, `0` when unused).
* `dependency_index[dependency_ptr[j]:dependency_ptr[j+1]-1]` are the reactions whose
  propensity may change when `j` fires.

The second form builds the network from dense `R × S` reactant and product coefficient
matrices (row `j` is reaction `j`) and derives the CSR arrays and the dependency graph.
By default every reaction is mass action with rate constant `theta[j]`.

# Examples
```julia
julia> birth_death = ReactionNetwork([0; 1;;], [1; 0;;]);  # k, 0 --> A;  g, A --> 0

julia> propensity(birth_death, 2, [3], [10.0, 1.0])
3.0
```
"""
struct ReactionNetwork
    n_species::Int
    reactant_ptr::Vector{Int}
    reactant_species::Vector{Int}
    reactant_coeff::Vector{Int}
    change_ptr::Vector{Int}
    change_species::Vector{Int}
    change_delta::Vector{Int}
    rate_code::Vector{Int}
    rate_species::Vector{Int}
    rate_slots::Matrix{Int}
    dependency_ptr::Vector{Int}
    dependency_index::Vector{Int}

    function ReactionNetwork(;
        n_species::Integer,
        reactant_ptr,
        reactant_species,
        reactant_coeff,
        change_ptr,
        change_species,
        change_delta,
        rate_code,
        rate_species,
        rate_slots,
        dependency_ptr,
        dependency_index,
    )
        n_reactions = length(rate_code)
        n_reactions > 0 || throw(ArgumentError("a network needs at least one reaction"))
        n_species >= 0 || throw(ArgumentError("n_species must be non-negative"))
        check_csr("reactant", reactant_ptr, reactant_species, n_reactions, n_species)
        check_csr("change", change_ptr, change_species, n_reactions, n_species)
        check_csr("dependency", dependency_ptr, dependency_index, n_reactions, n_reactions)
        length(reactant_coeff) == length(reactant_species) && all(>=(1), reactant_coeff) ||
            throw(ArgumentError(
                "reactant_coeff needs one positive coefficient per reactant",
            ))
        length(change_delta) == length(change_species) ||
            throw(DimensionMismatch(
                "change_delta needs one entry per change_species entry",
            ))
        length(rate_species) == n_reactions ||
            throw(DimensionMismatch("rate_species needs one entry per reaction"))
        size(rate_slots) == (n_reactions, 3) ||
            throw(DimensionMismatch("rate_slots must be $n_reactions × 3"))
        for j in 1:n_reactions
            check_rate_law(
                j,
                rate_code[j],
                rate_species[j],
                view(rate_slots, j, :),
                n_species,
            )
        end
        return new(
            n_species,
            reactant_ptr,
            reactant_species,
            reactant_coeff,
            change_ptr,
            change_species,
            change_delta,
            rate_code,
            rate_species,
            rate_slots,
            dependency_ptr,
            dependency_index,
        )
    end
end

function ReactionNetwork(
    reactants::AbstractMatrix{<:Integer},
    products::AbstractMatrix{<:Integer};
    rate_code = fill(MASS_ACTION, size(reactants, 1)),
    rate_species = zeros(Int, size(reactants, 1)),
    rate_slots = hcat(1:size(reactants, 1), zeros(Int, size(reactants, 1), 2)),
)
    size(reactants) == size(products) ||
        throw(DimensionMismatch("reactants and products must both be R × S matrices"))
    all(>=(0), reactants) && all(>=(0), products) ||
        throw(ArgumentError("stoichiometric coefficients must be non-negative"))
    n_reactions, n_species = size(reactants)
    change = products - reactants
    reactant_rows = [findall(!iszero, reactants[j, :]) for j in 1:n_reactions]
    change_rows = [findall(!iszero, change[j, :]) for j in 1:n_reactions]
    # A propensity reads its reactants and, for a Hill law, the regulating species.
    reads = [
        rate_species[j] > 0 ? union(reactant_rows[j], rate_species[j]) : reactant_rows[j]
        for j in 1:n_reactions
    ]
    dependents = [
        [i for i in 1:n_reactions if !isdisjoint(reads[i], change_rows[j])]
        for j in 1:n_reactions
    ]
    reactant_ptr, reactant_species = csr(reactant_rows)
    change_ptr, change_species = csr(change_rows)
    dependency_ptr, dependency_index = csr(dependents)
    reactant_coeff = [reactants[j, s] for j in 1:n_reactions for s in reactant_rows[j]]
    change_delta = [change[j, s] for j in 1:n_reactions for s in change_rows[j]]
    return ReactionNetwork(;
        n_species,
        reactant_ptr,
        reactant_species,
        reactant_coeff,
        change_ptr,
        change_species,
        change_delta,
        rate_code,
        rate_species,
        rate_slots,
        dependency_ptr,
        dependency_index,
    )
end

"""Number of reactions of `net`."""
n_reactions(net::ReactionNetwork) = length(net.rate_code)

"""The positions of row `j` in a CSR layout with pointers `ptr`."""
csr_range(ptr::AbstractVector{<:Integer}, j::Integer) = ptr[j]:(ptr[j + 1] - 1)

"""1-based CSR pointers and flattened entries of a vector of rows."""
function csr(rows::AbstractVector{<:AbstractVector{<:Integer}})
    ptr = cumsum(vcat(1, length.(rows)))
    return ptr, reduce(vcat, rows; init = Int[])
end

function check_csr(what, ptr, index, n_rows, n_columns)
    length(ptr) == n_rows + 1 ||
        throw(DimensionMismatch(
            "$(what)_ptr has $(length(ptr)) entries, expected $(n_rows + 1)",
        ))
    first(ptr) == 1 && last(ptr) == length(index) + 1 && issorted(ptr) ||
        throw(ArgumentError(
            "$(what)_ptr must rise from 1 to $(length(index) + 1): indices are " *
                "1-based here (add 1 to the 0-based arrays of ssagrad)",
        ))
    all(i -> 1 <= i <= n_columns, index) ||
        throw(ArgumentError("$what indices must lie in 1:$n_columns (1-based)"))
    return nothing
end

function check_rate_law(j, code, species, slots, n_species)
    code in (MASS_ACTION, HILL, HILLR) ||
        throw(ArgumentError("reaction $j: unknown rate-law code $code"))
    if code == MASS_ACTION
        slots[1] >= 1 || throw(ArgumentError("reaction $j: mass action needs rate slot 1"))
    else
        all(>=(1), slots) ||
            throw(ArgumentError("reaction $j: a Hill law needs three rate slots (v, K, n)"))
        1 <= species <= n_species ||
            throw(ArgumentError(
                "reaction $j: a Hill law needs a regulating species in 1:$n_species",
            ))
    end
    return nothing
end

"""
    check_inputs(net, theta, x0[, times])

Throw a descriptive error unless `theta` covers every rate slot with finite non-negative
values, `x0` holds one non-negative count per species, and `times` (if given) is
non-empty, sorted and non-negative.
"""
function check_inputs(net::ReactionNetwork, theta, x0, times = [0.0])
    n_slots = maximum(net.rate_slots; init = 0)
    length(theta) >= n_slots ||
        throw(DimensionMismatch(
            "theta has $(length(theta)) entries; the rate laws use slot $n_slots",
        ))
    all(t -> isfinite(t) && t >= 0, theta) ||
        throw(ArgumentError("theta must be finite and non-negative"))
    length(x0) == net.n_species ||
        throw(DimensionMismatch(
            "x0 has $(length(x0)) entries for $(net.n_species) species",
        ))
    all(>=(0), x0) || throw(ArgumentError("x0 must hold non-negative copy numbers"))
    !isempty(times) && issorted(times) && first(times) >= 0 ||
        throw(ArgumentError("times must be non-empty, sorted and non-negative"))
    return nothing
end

function check_size(name, array, expected)
    size(array) == expected ||
        throw(DimensionMismatch("$name has size $(size(array)), expected $expected"))
    return nothing
end
