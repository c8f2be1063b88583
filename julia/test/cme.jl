# SSAGrad against the exact chemical master equation: the references in
# fixtures/cme.toml come from ssagrad's finite state projection in Python
# (`python -m ssagrad.backends.julia fixtures` regenerates them). For each case: the
# parser gives Python's arrays; direct-method means, variances and one marginal match;
# every unbiased estimator's gradient is within z_gradient standard errors (smoothing
# also within its documented O(σ²) bias), as in the Python audits.

const FIXTURES = TOML.parsefile(joinpath(@__DIR__, "fixtures", "cme.toml"))
const META = FIXTURES["meta"]

"""A `T × S` (or `T × S × P`) array from TOML's nested lists `[t][s]` (`[t][s][p]`)."""
nested(x::Vector) = x[1] isa Vector ? stack(nested.(x); dims = 1) : Float64.(x)

"""`|estimate - exact| ≤ z se + tol` elementwise; reports the worst entry on failure."""
function all_within(estimate, exact, se; z, tol = META["abs_tol"])
    ok = abs.(estimate .- exact) .<= z .* se .+ tol
    all(ok) || @info "outside tolerance" estimate[.!ok] exact[.!ok] se[.!ok]
    return all(ok)
end

"""
    chi_square(samples, p, starts)

Pearson's statistic of integer `samples` against the probabilities `p` of the counts
`0, 1, …`, over the pooled bins starting at the (0-based) counts `starts`; counts past
`p` join the last bin and the expected counts are scaled to the observed total, as the
Python audits do (tests/conftest.py).
"""
function chi_square(samples, p, starts)
    edges = vcat(Int.(starts), length(p))
    observed = [
        count(x -> edges[g] <= x < edges[g + 1], samples)
        for g in 1:(length(edges) - 1)
    ]
    observed[end] += count(>=(length(p)), samples)
    expected = [sum(p[(edges[g] + 1):edges[g + 1]]) for g in 1:(length(edges) - 1)]
    expected .*= sum(observed) / sum(expected)
    return sum((observed .- expected).^2 ./ expected)
end

@testset "exact CME: $(case["name"])" for case in FIXTURES["case"]
    net = SSAGrad.parse(case["network"])
    params = Dict(Symbol.(case["parameters"]) .=> case["params"])
    x0 = Dict(Symbol.(case["species"]) .=> case["x0"])
    times = Float64.(case["times"])
    n = META["n"]
    @test all(<(1.0e-8), case["leak"])

    @testset "parser: Python's arrays, 1-based" begin
        arrays = case["arrays"]
        @test string.(net.species) == case["species"]
        @test string.(net.parameters) == case["parameters"]
        @test net.literals == Float64.(arrays["literals"])
        for name in (
                "reactant_ptr",
                "reactant_species",
                "change_ptr",
                "change_species",
                "rate_species",
                "dependency_ptr",
                "dependency_index",
            )
            @test getfield(net.kernel, Symbol(name)) == Int.(arrays[name]) .+ 1
        end
        for name in ("reactant_coeff", "change_delta", "rate_code")
            @test getfield(net.kernel, Symbol(name)) == Int.(arrays[name])
        end
        slots = isempty(arrays["rate_slots"]) ?
            zeros(Int, 0, 3) :
            stack(arrays["rate_slots"]; dims = 1)
        @test net.kernel.rate_slots == slots .+ 1
    end

    @testset "moments and marginal" begin
        x = Float64.(parent(simulate(net, params, x0, times; n, seed = 11).x)) # S × T × N
        mean_x = permutedims(dropdims(mean(x; dims = 3); dims = 3))            # T × S
        var_x = permutedims(dropdims(var(x; dims = 3); dims = 3))
        exact_var = nested(case["var"])
        @test all_within(
            mean_x,
            nested(case["mean"]),
            sqrt.(exact_var ./ n);
            z = META["z_moment"],
        )
        @test all_within(
            var_x,
            exact_var,
            nested(case["sd_sq_dev"]) ./ sqrt(n);
            z = META["z_moment"],
        )
        s = findfirst(==(case["marginal_species"]), case["species"])
        for (m, probabilities) in enumerate(case["marginal"])
            statistic = chi_square(
                x[s, m, :],
                Float64.(probabilities),
                case["marginal_groups"][m],
            )
            @test statistic <= case["marginal_chi2"][m]
        end
    end

    @testset "gradient: $estimator" for estimator in (
            :score,
            :altpath,
            :cfd,
            :fd,
            :smoothing,
        )
        # many smoothing directions: their spread estimates the direction noise
        options = estimator === :smoothing ? (; directions = 64) : (;)
        g = gradient(net, params, x0, times; estimator, n, seed = 7, options...)
        exact_dmean = permutedims(nested(case["dmean"]), (3, 2, 1)) # P × S × T
        bias = estimator === :smoothing ? META["smoothing_bias"] .* abs.(exact_dmean) : 0.0
        @test all_within(
            parent(g.dmean),
            exact_dmean,
            parent(g.dmean_se);
            z = META["z_gradient"],
            tol = META["abs_tol"] .+ bias,
        )
        # the value is the primal ensemble mean
        exact_var = permutedims(nested(case["var"]))
        @test all_within(
            parent(g.mean),
            permutedims(nested(case["mean"])),
            sqrt.(exact_var ./ n);
            z = META["z_moment"],
        )
    end

    @testset "gradient: gumbel forward pass" begin
        g = gradient(net, params, x0, times; estimator = :gumbel, n, seed = 5)
        exact_var = permutedims(nested(case["var"]))
        @test all_within(
            parent(g.mean),
            permutedims(nested(case["mean"])),
            sqrt.(exact_var ./ n);
            z = META["z_moment"],
        )
        @test all(isfinite, parent(g.dmean))
    end
end
