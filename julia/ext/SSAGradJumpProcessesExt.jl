# SSAGrad's JumpProcesses extension: the network as a `JumpProblem`, and ensembles run
# with any JumpProcesses aggregator in the layout of SSAGrad's own kernels. Loaded by
# Julia when both SSAGrad and JumpProcesses are loaded.
module SSAGradJumpProcessesExt

using JumpProcesses:
    JumpProcesses,
    AbstractAggregatorAlgorithm,
    ConstantRateJump,
    DiscreteProblem,
    JumpProblem,
    JumpSet,
    MassActionJump,
    SSAStepper
using SSAGrad:
    SSAGrad,
    MASS_ACTION,
    STATUS_MAX_EVENTS,
    STATUS_OK,
    ReactionNetwork,
    check_inputs,
    check_size,
    csr_range,
    dependents,
    fire!,
    propensity,
    record!

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

"""Species a propensity reads: the reactants and, for a Hill law, the regulating species."""
function species_read(net::ReactionNetwork, j::Integer)
    reactants = net.reactant_species[csr_range(net.reactant_ptr, j)]
    net.rate_species[j] > 0 || return reactants
    return union(reactants, net.rate_species[j])
end

function SSAGrad.jump_problem(
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    x0::AbstractVector{<:Integer},
    tspan,
    aggregator::AbstractAggregatorAlgorithm = JumpProcesses.Direct();
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
    for (q, j) in enumerate(order), s in species_read(net, j)
        push!(vartojumps_map[s], q)
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

"""
    aggregator_trajectory!(states, jprob, times, seed, max_events) -> (events, status)

One path of `jprob` with `SSAStepper()`, stepped jump by jump: column `m` of `states`
(`S × T`) is the state after the last jump at or before `times[m]`, as in SSAGrad's
direct method. `integrator.tstop` is the time of the next jump.
"""
function aggregator_trajectory!(states, jprob, times, seed, max_events)
    integrator = JumpProcesses.init(
        jprob,
        SSAStepper();
        seed = seed,
        save_start = false,
        save_end = false,
    )
    m, events = 1, 0
    while true
        t_next = integrator.tstop > integrator.t ? integrator.tstop : Inf
        while m <= length(times) && times[m] < t_next
            record!(states, m, integrator.u)
            m += 1
        end
        m > length(times) && return events, STATUS_OK
        if events >= max_events
            for mm in m:lastindex(times)
                record!(states, mm, integrator.u)
            end
            return events, STATUS_MAX_EVENTS
        end
        JumpProcesses.DiffEqBase.step!(integrator)
        events += 1
    end
end

function SSAGrad.simulate_aggregator!(
    states::AbstractArray{<:Integer, 3},
    events::AbstractVector{<:Integer},
    status::AbstractVector{<:Integer},
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    seeds::AbstractVector{<:Integer},
    max_events::Integer,
    aggregator::AbstractAggregatorAlgorithm,
)
    check_inputs(net, theta, x0, times)
    check_size("states", states, (net.n_species, length(times), length(seeds)))
    # The problem's tspan only bounds JumpProcesses' own solve; stepping stops at times.
    jprob = SSAGrad.jump_problem(
        net,
        theta,
        x0,
        (0.0, max(last(times), 1.0)),
        aggregator;
        save_positions = (false, false),
    )
    isempty(seeds) && return states, events, status
    # An aggregator holds mutable state: each chunk of trajectories owns a copy.
    chunk_size = cld(length(seeds), Threads.nthreads())
    chunks = collect(Iterators.partition(eachindex(seeds), chunk_size))
    Threads.@threads for chunk in chunks
        local_prob = deepcopy(jprob)
        for i in chunk
            events[i], status[i] = aggregator_trajectory!(
                view(states, :, :, i),
                local_prob,
                times,
                seeds[i],
                max_events,
            )
        end
    end
    return states, events, status
end

end # module SSAGradJumpProcessesExt
