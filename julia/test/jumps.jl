# The JumpProcesses extension: `jump_problem` and the aggregator route of `simulate`,
# against SSAGrad's direct method and against the exact CME references.

@testset "JumpProcesses extension" begin
    @test Base.get_extension(SSAGrad, :SSAGradJumpProcessesExt) !== nothing
    n = 2000
    cases = ((BIRTH_DEATH, THETA), (REPRESSION, REPRESSION_THETA))
    for (net, theta) in cases, aggregator in (Direct(), SortingDirect())
        prob = jump_problem(net, theta, [0], (0.0, last(TIMES)), aggregator)
        x = zeros(n, length(TIMES))
        for i in 1:n
            sol = solve(prob, SSAStepper(); seed = i)
            x[i, :] = [sol(t)[1] for t in TIMES]
        end
        reference = simulate(net, theta, [0], TIMES, 1:N)[1][1, :, :]
        for m in eachindex(TIMES)
            # two independent samples: difference within 4.5 se
            a, b = view(x, :, m), view(reference, m, :)
            se = sqrt(std(a)^2 / n + std(b)^2 / N)
            @test within(mean(a), mean(b), se; z = 4.5)
        end
    end

    @testset "aggregator route: $(nameof(typeof(aggregator)))" for aggregator in (
            SortingDirect(),
            NRM(),
            DirectCR(),
        )
        for case in FIXTURES["case"]
            net = SSAGrad.parse(case["network"])
            params = Dict(Symbol.(case["parameters"]) .=> case["params"])
            x0 = Dict(Symbol.(case["species"]) .=> case["x0"])
            r = simulate(
                net,
                params,
                x0,
                case["times"];
                n = META["n"],
                seed = 3,
                aggregator,
            )
            @test all(==(STATUS_OK), r.status) && all(>(0), r.events)
            x = Float64.(parent(r.x))
            mean_x = permutedims(dropdims(mean(x; dims = 3); dims = 3))
            exact_var = nested(case["var"])
            @test all_within(
                mean_x,
                nested(case["mean"]),
                sqrt.(exact_var ./ META["n"]);
                z = META["z_moment"],
            )
        end
        # max_events holds the state, as the direct method does
        states, events, status = simulate(
            BIRTH_DEATH,
            THETA,
            [0],
            TIMES,
            1:10;
            aggregator,
            max_events = 3,
        )
        @test all(==(STATUS_MAX_EVENTS), status) && all(==(3), events)
        @test all(states[:, end, :] .== states[:, end - 1, :])
    end
    @test_throws ArgumentError simulate(
        BIRTH_DEATH,
        THETA,
        [0],
        TIMES,
        1:3;
        method = :tau,
        aggregator = Direct(),
    )
end
