# The same network as a JumpProcesses problem, for its aggregators and integrators.

"""Propensity of one reaction as a JumpProcesses rate `rate(u, p, t)` (`p` is `theta`)."""
struct ReactionRate
    net::ReactionNetwork
    j::Int
end

(rate::ReactionRate)(u, p, t) = propensity(rate.net, rate.j, u, p)

"""State change of one reaction as a JumpProcesses `affect!(integrator)`."""
struct ReactionChange
    net::ReactionNetwork
    j::Int
end

function (change::ReactionChange)(integrator)
    fire!(integrator.u, change.net, change.j)
    return nothing
end

# JumpProcesses' stoichiometry format: a vector of `species => coefficient` pairs.
function reactant_pairs(net::ReactionNetwork, j::Integer)
    return Pair{Int, Int}[
        net.reactant_species[p] => net.reactant_coeff[p]
        for p in csr_range(net.reactant_ptr, j)
    ]
end

function change_pairs(net::ReactionNetwork, j::Integer)
    return Pair{Int, Int}[
        net.change_species[p] => net.change_delta[p]
        for p in csr_range(net.change_ptr, j)
    ]
end

"""
    jump_problem(net, theta, x0, tspan, aggregator = Direct(); kwargs...)

The network as a JumpProcesses `JumpProblem` on a `DiscreteProblem(x0, tspan, theta)`,
to simulate it with any of JumpProcesses' exact aggregators (`Direct()`,
`SortingDirect()`, `NRM()`, `DirectCR()`, `RSSA()`, ...) and `SSAStepper()`.

Mass-action reactions become one `MassActionJump` whose rate constants are read from
`prob.p = theta` through `param_idxs`, with the same binomial convention as
[`propensity`](@ref). Hill reactions become `ConstantRateJump`s
evaluating [`propensity`](@ref). JumpProcesses numbers the mass-action jumps first; the
dependency graph (`dep_graph`) and the species maps (`vartojumps_map`, `jumptovars_map`)
are passed in that numbering, so every aggregator can be used. Other keyword arguments
go to `JumpProblem` (e.g. `save_positions = (false, false)` with `saveat` in `solve`).

RSSA and RSSACR bracket propensities between those of bracketing states, which assumes
propensities that grow with the counts; a `hillr` law does not, so prefer the other
aggregators for networks with repression.

# Examples
```julia
julia> using JumpProcesses

julia> net = ReactionNetwork([0; 1;;], [1; 0;;]);  # k, 0 --> A;  g, A --> 0

julia> prob = jump_problem(net, [10.0, 1.0], [0], (0.0, 5.0), SortingDirect());

julia> sol = solve(prob, SSAStepper(); saveat = 1.0, seed = 1);
```
"""
function jump_problem(
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    x0::AbstractVector{<:Integer},
    tspan,
    aggregator = Direct();
    kwargs...,
)
    check_inputs(net, theta, x0)
    mass_action = findall(==(MASS_ACTION), net.rate_code)
    others = findall(!=(MASS_ACTION), net.rate_code)
    # JumpProcesses numbers the mass-action jumps first: order[q] is the reaction of jump q.
    order = vcat(mass_action, others)
    jump_of = invperm(order)
    majumps = isempty(mass_action) ?
        nothing :
        MassActionJump(
            [reactant_pairs(net, j) for j in mass_action],
            [change_pairs(net, j) for j in mass_action];
            param_idxs = net.rate_slots[mass_action, 1],
        )
    crjumps = Tuple(
        ConstantRateJump(ReactionRate(net, j), ReactionChange(net, j))
        for j in others
    )
    dep_graph = [
        sort!(union([q], jump_of[dependents(net, j)]))
        for (q, j) in enumerate(order)
    ]
    vartojumps_map = [Int[] for _ in 1:(net.n_species)]
    for (q, j) in enumerate(order)
        for s in species_read(net, j)
            push!(vartojumps_map[s], q)
        end
    end
    jumptovars_map = [net.change_species[csr_range(net.change_ptr, j)] for j in order]
    prob = DiscreteProblem(
        collect(Int, x0),
        (Float64(tspan[1]), Float64(tspan[2])),
        collect(Float64, theta),
    )
    return JumpProblem(
        prob,
        aggregator,
        JumpSet(; constant_jumps = crjumps, massaction_jumps = majumps);
        dep_graph,
        vartojumps_map,
        jumptovars_map,
        kwargs...,
    )
end

"""Reactions whose propensity may change when reaction `j` fires."""
function dependents(net::ReactionNetwork, j::Integer)
    return view(net.dependency_index, csr_range(net.dependency_ptr, j))
end

"""Species a propensity reads: the reactants and, for a Hill law, the regulating species."""
function species_read(net::ReactionNetwork, j::Integer)
    reactants = net.reactant_species[csr_range(net.reactant_ptr, j)]
    net.rate_species[j] > 0 || return reactants
    return union(reactants, net.rate_species[j])
end
