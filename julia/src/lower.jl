# Lowering parsed reactions to the kernel arrays, as `ssagrad.network._lower` does:
# species and parameters in order of first appearance (a Hill law's species before the
# reaction's own), literals after the parameters in `theta`, net changes sorted by
# species with zero changes omitted, and the dependency graph through the reactions that
# read each species.

"""Add `name` to the ordered set `names` (a vector) unless it is already there."""
function ordered_push!(names::Vector{String}, name::AbstractString)
    name in names || push!(names, name)
    return names
end

"""Species and parameter names of `reactions` in order of first appearance."""
function network_names(reactions::AbstractVector{ReactionSpec})
    species, parameters = String[], String[]
    for reaction in reactions
        reaction.rate.species === nothing || ordered_push!(species, reaction.rate.species)
        for (name, _) in vcat(reaction.reactants, reaction.products)
            ordered_push!(species, name)
        end
        for arg in reaction.rate.args
            arg isa String && ordered_push!(parameters, arg)
        end
    end
    clash = intersect(species, parameters)
    isempty(clash) ||
        throw(ArgumentError("names used both as species and parameter: $(sort(clash))"))
    return species, parameters
end

"""Net change of `reaction` as sorted `(species index, delta)` rows, zeros omitted."""
function net_change(reaction::ReactionSpec, index::Dict{String, Int})
    change = Dict{Int, Int}()
    for (name, coeff) in reaction.reactants
        change[index[name]] = -coeff
    end
    for (name, coeff) in reaction.products
        change[index[name]] = get(change, index[name], 0) + coeff
    end
    return [(s, change[s]) for s in sort!(collect(keys(change))) if change[s] != 0]
end

"""
    lower(reactions, text) -> Network

The [`Network`](@ref) of parsed `reactions`: names, literals and the 1-based kernel
arrays of `ssagrad.network.NetworkArrays`.
"""
function lower(reactions::AbstractVector{ReactionSpec}, text::AbstractString)
    species, parameters = network_names(reactions)
    sp = Dict(name => i for (i, name) in enumerate(species))
    par = Dict(name => i for (i, name) in enumerate(parameters))
    n_r, n_p = length(reactions), length(parameters)
    literals = Float64[]
    reactant_rows, change_rows = Vector{Vector{Int}}(), Vector{Vector{Tuple{Int, Int}}}()
    rate_code, rate_species, rate_slots = zeros(Int, n_r),
        zeros(Int, n_r),
        zeros(Int, n_r, 3)
    readers = [Int[] for _ in species] # reactions reading each species
    for (j, reaction) in enumerate(reactions)
        push!(reactant_rows, [sp[name] for (name, _) in reaction.reactants])
        foreach(s -> push!(readers[s], j), last(reactant_rows))
        push!(change_rows, net_change(reaction, sp))
        rate_code[j] = reaction.rate.code
        if reaction.rate.species !== nothing
            rate_species[j] = sp[reaction.rate.species]
            hill_readers = readers[rate_species[j]]
            if isempty(hill_readers) || last(hill_readers) != j
                push!(hill_readers, j)
            end
        end
        for (k, arg) in enumerate(reaction.rate.args)
            if arg isa String
                rate_slots[j, k] = par[arg]
            else
                # literals follow the parameters in theta
                push!(literals, arg)
                rate_slots[j, k] = n_p + length(literals)
            end
        end
    end
    dependency_rows = [
        sort!(unique(reduce(vcat, (readers[s] for (s, _) in change_rows[j]); init = Int[])))
        for j in 1:n_r
    ]
    reactant_ptr, reactant_species = csr(reactant_rows)
    change_ptr, change_species = csr([first.(row) for row in change_rows])
    dependency_ptr, dependency_index = csr(dependency_rows)
    kernel = ReactionNetwork(;
        n_species = length(species),
        reactant_ptr,
        reactant_species,
        reactant_coeff = [c for r in reactions for (_, c) in r.reactants],
        change_ptr,
        change_species,
        change_delta = [d for row in change_rows for (_, d) in row],
        rate_code,
        rate_species,
        rate_slots,
        dependency_ptr,
        dependency_index,
    )
    return Network(Symbol.(species), Symbol.(parameters), literals, kernel, text)
end
