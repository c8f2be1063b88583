# Fixed-step tau-leaping with a non-negativity guard.

"""
    tau_trajectory!(states, net, theta, x0, times, rng, dt, max_events) -> (firings, status)

One tau-leaping path into `states` (`S × T`). Each leap of length `h = min(dt, time to
the next observation)` fires reaction `j` a Poisson(`a_j(x) h`) number of times, with the
propensities frozen at the start of the leap. If a species would become negative the
leap is rejected and redrawn with half the step (the guard, as in the native kernel)
until no count goes negative. Stops once the total number of firings reaches
`max_events`.
"""
function tau_trajectory!(
    states::AbstractMatrix{<:Integer},
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    rng::AbstractRNG,
    dt::Real,
    max_events::Integer,
)
    x = collect(Int, x0)
    trial = similar(x)
    a = [propensity(net, j, x, theta) for j in 1:n_reactions(net)]
    t, events = 0.0, 0
    for m in eachindex(times)
        while t < times[m]
            h = min(dt, times[m] - t)
            for j in eachindex(a)
                a[j] = propensity(net, j, x, theta)
            end
            fired = leap!(trial, x, net, a, h, rng)
            while any(<(0), trial)
                # the guard: halve the step and redraw
                h /= 2
                fired = leap!(trial, x, net, a, h, rng)
            end
            x .= trial
            events += fired
            t = t + h < times[m] ? t + h : times[m]
            if events >= max_events
                for mm in m:lastindex(times)
                    record!(states, mm, x)
                end
                return events, STATUS_MAX_EVENTS
            end
        end
        record!(states, m, x)
    end
    return events, STATUS_OK
end

"""
    leap!(trial, x, net, a, h, rng) -> firings

Write into `trial` the state `x` after firing each reaction Poisson(`a[j] h`) times;
return the total number of firings.
"""
function leap!(
    trial::AbstractVector,
    x::AbstractVector,
    net::ReactionNetwork,
    a::AbstractVector,
    h::Real,
    rng::AbstractRNG,
)
    trial .= x
    fired = 0
    for j in eachindex(a)
        k = a[j] > 0 ? pois_rand(rng, a[j] * h) : 0
        fired += k
        for p in csr_range(net.change_ptr, j)
            trial[net.change_species[p]] += k * net.change_delta[p]
        end
    end
    return fired
end

"""
    simulate_tau!(states, events, status, net, theta, x0, times, seeds, dt, max_events;
                  make_rng = Xoshiro)

Tau-leap one trajectory per seed with step `dt`, in parallel over trajectories, into
`states` (`S × T × N`), `events` (reaction firings) and `status`. Same layout, seeding
and thread-independence as [`simulate_direct!`](@ref); approximate in distribution
(error `O(dt)`).
"""
function simulate_tau!(
    states::AbstractArray{<:Integer, 3},
    events::AbstractVector{<:Integer},
    status::AbstractVector{<:Integer},
    net::ReactionNetwork,
    theta::AbstractVector{<:Real},
    x0::AbstractVector{<:Integer},
    times::AbstractVector{<:Real},
    seeds::AbstractVector{<:Integer},
    dt::Real,
    max_events::Integer;
    make_rng = Xoshiro,
)
    check_inputs(net, theta, x0, times)
    isfinite(dt) && dt > 0 ||
        throw(ArgumentError("dt must be a positive finite step, got $dt"))
    check_size("states", states, (net.n_species, length(times), length(seeds)))
    Threads.@threads for i in eachindex(seeds, events, status)
        events[i], status[i] = tau_trajectory!(
            view(states, :, :, i),
            net,
            theta,
            x0,
            times,
            make_rng(seeds[i]),
            dt,
            max_events,
        )
    end
    return states, events, status
end
