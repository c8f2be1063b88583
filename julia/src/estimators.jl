# `gradient`: the estimators of ssagrad's Python `gradient(..., estimator=...)` for the
# identity feature map, on the Julia kernels. Each returns the primal states (S × T × N)
# and per-trajectory contributions (P × S × T × N) whose mean over trajectories is the
# estimate of ∂E[X_s(t_m)]/∂θ_p; `fd` and `smoothing` reuse the direct-method kernel
# with common random numbers (the same seeds at every parameter vector).

"""The estimators [`gradient`](@ref) runs."""
const ESTIMATORS = (:score, :gumbel, :altpath, :cfd, :fd, :smoothing)

"""Trajectories of the gumbel pilot run that measures the mean waiting time."""
const PILOT_TRAJECTORIES = 200

"""Mixed into the seed for the gumbel pilot run and the smoothing directions."""
const PILOT_SALT = 0x6a09e667f3bcc909

"""Throw unless every trajectory reached the last observation time."""
function check_status(status, max_events)
    stuck = count(!=(STATUS_OK), status)
    stuck == 0 ||
        error(
            "$stuck of $(length(status)) trajectories hit max_events = $max_events; raise " *
                "max_events or check the model for runaway growth",
        )
    return nothing
end

"""A problem: the kernel network and its inputs, checked once."""
struct Problem
    net::ReactionNetwork
    params::Vector{Float64}
    literals::Vector{Float64}
    x0::Vector{Int}
    times::Vector{Float64}
    seeds::Vector{UInt64}
    max_events::Int
end

theta_at(problem::Problem, params) = vcat(params, problem.literals)

"""Direct-method states (`S × T × N`) at `params` with the problem's seeds."""
function states_at(problem::Problem, params)
    states, _, status = simulate(
        problem.net,
        theta_at(problem, params),
        problem.x0,
        problem.times,
        problem.seeds;
        max_events = problem.max_events,
    )
    check_status(status, problem.max_events)
    return states
end

function estimate_score(problem::Problem)
    n_p, n = length(problem.params), length(problem.seeds)
    n >= 2 || throw(ArgumentError("the score estimator's baseline needs n >= 2"))
    states, scores, _, status = simulate_score(
        problem.net,
        theta_at(problem, problem.params),
        n_p,
        problem.x0,
        problem.times,
        problem.seeds;
        max_events = problem.max_events,
    )
    check_status(status, problem.max_events)
    x = Float64.(states)
    centred = x .- (sum(x; dims = 3) .- x) ./ (n - 1) # leave-one-out baseline
    s, t = size(x, 1), size(x, 2)
    return states, reshape(centred, 1, s, t, n) .* reshape(scores, n_p, 1, t, n)
end

function auto_time_smoothing(problem::Problem, seed)
    t_last = last(problem.times)
    t_last > 0 || return 0.0
    pilot = rand(Xoshiro(mix64(seed) ⊻ PILOT_SALT), UInt64, PILOT_TRAJECTORIES)
    _, events, status = simulate(
        problem.net,
        theta_at(problem, problem.params),
        problem.x0,
        [t_last],
        pilot;
        max_events = problem.max_events,
    )
    check_status(status, problem.max_events)
    mean_events = sum(events) / length(events)
    return mean_events == 0 ? t_last : 0.5 * t_last / mean_events
end

function estimate_gumbel(
    problem::Problem,
    seed;
    temperature = 1.0,
    time_smoothing = nothing,
)
    smoothing = time_smoothing === nothing ?
        auto_time_smoothing(problem, seed) :
        time_smoothing
    states, tangents, _, status = simulate_gumbel(
        problem.net,
        theta_at(problem, problem.params),
        length(problem.params),
        problem.x0,
        problem.times,
        problem.seeds;
        temperature,
        time_smoothing = smoothing,
        max_events = problem.max_events,
    )
    check_status(status, problem.max_events)
    return states, tangents
end

function estimate_altpath(problem::Problem; rate_margin = 1.5)
    n_p = length(problem.params)
    states, alt_states, weights, _, status = simulate_altpath(
        problem.net,
        theta_at(problem, problem.params),
        n_p,
        problem.x0,
        problem.times,
        problem.seeds;
        rate_margin,
        max_events = problem.max_events,
    )
    check_status(status, problem.max_events)
    s, t, n = size(states)
    difference = alt_states .- reshape(states, 1, s, t, n)
    return states, reshape(weights, n_p, 1, t, n) .* difference
end

"""Upper and lower parameter vectors (columns) and the widths of the differences."""
function perturbations(params::Vector{Float64}, h::Real, relative::Bool)
    h > 0 && isfinite(h) || throw(ArgumentError("h must be > 0 and finite, got $h"))
    relative && h >= 1 && throw(ArgumentError("h must be < 1 with relative = true, got $h"))
    step = [relative && v > 0 ? h * v : Float64(h) for v in params]
    upper = [params .+ step .* (1:length(params) .== p) for p in eachindex(params)]
    lower = [
        max.(params .- step .* (1:length(params) .== p), 0.0)
        for p in eachindex(params)
    ]
    widths = [upper[p][p] - lower[p][p] for p in eachindex(params)]
    return upper, lower, widths
end

function estimate_cfd(problem::Problem; h = 0.05, relative = true)
    upper, lower, widths = perturbations(problem.params, h, relative)
    states = states_at(problem, problem.params)
    x_plus, x_minus, _, status = simulate_coupled(
        problem.net,
        reduce(hcat, theta_at.(Ref(problem), upper)),
        reduce(hcat, theta_at.(Ref(problem), lower)),
        problem.x0,
        problem.times,
        problem.seeds;
        max_events = problem.max_events,
    )
    check_status(status, problem.max_events)
    return states, (x_plus .- x_minus) ./ widths
end

function estimate_fd(problem::Problem; h = 0.05, relative = true)
    upper, lower, widths = perturbations(problem.params, h, relative)
    states = states_at(problem, problem.params)
    contributions = zeros(length(widths), size(states)...)
    for p in eachindex(widths)
        # common random numbers: the same seeds everywhere
        difference = states_at(problem, upper[p]) .- states_at(problem, lower[p])
        contributions[p, :, :, :] .= difference ./ widths[p]
    end
    return states, contributions
end

"""
Gaussian smoothing in log-parameter space with `directions` antithetic pairs; returns
also the direction-noise variance of the estimate (P × S × T), as the Python estimator.
"""
function estimate_smoothing(problem::Problem, seed; sigma = 0.05, directions = 16)
    sigma > 0 && isfinite(sigma) || throw(ArgumentError("sigma must be > 0, got $sigma"))
    directions >= 1 || throw(ArgumentError("directions must be >= 1, got $directions"))
    all(>(0), problem.params) ||
        throw(ArgumentError(
            "smoothing perturbs parameters on the log scale; a parameter is 0 (use :fd or :cfd)",
        ))
    u = randn(Xoshiro(mix64(seed + 1) ⊻ PILOT_SALT), directions, length(problem.params))
    weights = u ./ (2 * sigma .* problem.params') # K × P
    states = states_at(problem, problem.params)
    per_trajectory = zeros(length(problem.params), size(states)...)
    per_direction = zeros(
        directions,
        length(problem.params),
        size(states, 1),
        size(states, 2),
    )
    for k in 1:directions
        difference = states_at(problem, problem.params .* exp.(sigma .* u[k, :])) .-
            states_at(problem, problem.params .* exp.(-sigma .* u[k, :]))
        for p in axes(weights, 2)
            per_trajectory[p, :, :, :] .+= difference .* (weights[k, p] / directions)
            per_direction[k, p, :, :] .= vec_mean(difference) .* weights[k, p]
        end
    end
    extra = directions >= 2 ? sample_variance(per_direction) ./ directions : 0.0
    return states, per_trajectory, extra
end

"""Mean over the last dimension of an `S × T × N` array (`S × T`)."""
vec_mean(x::AbstractArray{<:Real, 3}) = dropdims(sum(x; dims = 3); dims = 3) ./ size(x, 3)

"""Unbiased variance over the first dimension (`K × ...` to `...`)."""
function sample_variance(x::AbstractArray)
    k = size(x, 1)
    centred = x .- sum(x; dims = 1) ./ k
    return dropdims(sum(abs2, centred; dims = 1); dims = 1) ./ (k - 1)
end
