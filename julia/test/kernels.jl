# Unit tests of the kernels: network arrays, propensities, the direct method, seeding,
# max_events, tau-leaping, score, GS-ST, alternative paths and coupled pairs, on the
# birth-death process (exact mean k/g (1 - e^{-gt}) and its derivatives).

# k, 0 --> A;  g, A --> 0 (one species, two reactions; theta = [k, g])
const BIRTH_DEATH = ReactionNetwork([0; 1;;], [1; 0;;])
const THETA = [10.0, 1.0]
const TIMES = [0.5, 1.0, 2.0, 5.0]
const N = 4000

"""Exact mean of the birth-death process from A(0) = 0."""
exact_mean(t; k = THETA[1], g = THETA[2]) = k / g * (1 - exp(-g * t))

"""Exact derivatives `(∂/∂k, ∂/∂g)` of the birth-death mean."""
function exact_dmean(t; k = THETA[1], g = THETA[2])
    return [(1 - exp(-g * t)) / g, -k / g^2 * (1 - exp(-g * t)) + k * t * exp(-g * t) / g]
end

"""`|estimate - exact| ≤ z se` (plus a tiny absolute tolerance)."""
within(estimate, exact, se; z = 4) = abs(estimate - exact) <= z * se + 1.0e-9

# hillr(P, v, K, n), 0 --> P;  d, P --> 0 with theta = [v, K, n, d]
const REPRESSION = ReactionNetwork(
    [0; 1;;],
    [1; 0;;];
    rate_code = [HILLR, MASS_ACTION],
    rate_species = [1, 0],
    rate_slots = [1 2 3; 4 0 0],
)
const REPRESSION_THETA = [10.0, 5.0, 2.0, 1.0]

@testset "kernels" begin
    @testset "network arrays" begin
        @test BIRTH_DEATH.reactant_ptr == [1, 1, 2]
        @test BIRTH_DEATH.change_species == [1, 1] && BIRTH_DEATH.change_delta == [1, -1]
        # Both reactions change A; only the decay reads it. The Hill law reads P.
        @test BIRTH_DEATH.dependency_index == [2, 2]
        @test REPRESSION.dependency_index == [1, 2, 1, 2]
        zero_based = (
            n_species = 1,
            reactant_ptr = [0, 0, 1],
            reactant_species = [0],
            reactant_coeff = [1],
            change_ptr = [0, 1, 2],
            change_species = [0, 0],
            change_delta = [1, -1],
            rate_code = [0, 0],
            rate_species = [-1, -1],
            rate_slots = [0 -1 -1; 1 -1 -1],
            dependency_ptr = [0, 1, 2],
            dependency_index = [1, 1],
        )
        @test_throws ArgumentError ReactionNetwork(; zero_based...)
        # The boundary conversion of the Python backend: +1 on every index and pointer.
        indices = (
            :reactant_ptr,
            :reactant_species,
            :change_ptr,
            :change_species,
            :rate_species,
            :rate_slots,
            :dependency_ptr,
            :dependency_index,
        )
        shifted = NamedTuple{indices}(map(name -> zero_based[name] .+ 1, indices))
        converted = ReactionNetwork(; merge(zero_based, shifted)...)
        @test converted.dependency_index == BIRTH_DEATH.dependency_index
        @test converted.rate_slots == BIRTH_DEATH.rate_slots
    end

    @testset "propensities" begin
        dimerization = ReactionNetwork([2 0], [0 1]) # k, 2A --> B
        @test propensity(dimerization, 1, [5, 0], [0.3]) ≈ 0.3 * 5 * 4 / 2
        @test propensity(dimerization, 1, [1, 0], [0.3]) == 0
        v, K, n, x = 10.0, 5.0, 2.0, 3
        @test propensity(REPRESSION, 1, [x], REPRESSION_THETA) ≈ v * K^n / (K^n + x^n)
        @test propensity(REPRESSION, 1, [0], REPRESSION_THETA) == v
        # Dual numbers in theta give the parameter gradient of a Hill propensity.
        grad = ForwardDiff.gradient(
            θ -> propensity(REPRESSION, 1, [x], θ),
            REPRESSION_THETA,
        )
        denom = K^n + x^n
        @test grad ≈
            [
                K^n / denom,
                v * n * K^(n - 1) * x^n / denom^2,
                v * K^n * x^n * (log(K) - log(x)) / denom^2,
                0.0,
            ]
        # Literal slots carry no tangent.
        seeded = seed_parameters([2.0, 7.0], Val(1))
        @test ForwardDiff.partials(seeded[1])[1] == 1 &&
            ForwardDiff.partials(seeded[2])[1] == 0
    end

    @testset "direct method: birth-death mean" begin
        states, events, status = simulate(BIRTH_DEATH, THETA, [0], TIMES, 1:N)
        @test size(states) == (1, length(TIMES), N)
        @test all(==(STATUS_OK), status) && all(>(0), events)
        for (m, t) in enumerate(TIMES)
            # Poisson(mean) at every time: variance = mean
            @test within(mean(states[1, m, :]), exact_mean(t), sqrt(exact_mean(t) / N))
        end
    end

    @testset "reproducible seeds" begin
        seeds = UInt64.(101:150)
        for method in (:direct, :tau)
            first_run = simulate(BIRTH_DEATH, THETA, [0], TIMES, seeds; method)
            @test simulate(BIRTH_DEATH, THETA, [0], TIMES, seeds; method) == first_run
            prefix = simulate(BIRTH_DEATH, THETA, [0], TIMES, seeds[1:10]; method)
            @test prefix[1] == first_run[1][:, :, 1:10]
            alone = simulate(BIRTH_DEATH, THETA, [0], TIMES, seeds[7:7]; method)
            @test alone[1][:, :, 1] == first_run[1][:, :, 7]
            other = simulate(BIRTH_DEATH, THETA, [0], TIMES, seeds .+ 1000; method)
            @test other[1] != first_run[1]
        end
        # The same ensemble from a one-thread Julia process.
        states = simulate(BIRTH_DEATH, THETA, [0], TIMES, seeds)[1]
        script = "using SSAGrad; net = ReactionNetwork([0; 1;;], [1; 0;;]); " *
            "s = simulate(net, $THETA, [0], $TIMES, UInt64.(101:150))[1]; " *
            "print(join(vec(s), ','))"
        project = Base.active_project()
        julia = `$(Base.julia_cmd()) --threads=1 --startup-file=no --project=$project`
        output = read(`$julia -e $script`, String)
        @test parse.(Int, split(output, ',')) == vec(states)
    end

    @testset "max_events" begin
        states, events, status = simulate(
            BIRTH_DEATH,
            THETA,
            [0],
            TIMES,
            1:10;
            max_events = 3,
        )
        @test all(==(STATUS_MAX_EVENTS), status) && all(==(3), events)
        @test all(states[:, end, :] .== states[:, end - 1, :])
    end

    @testset "tau-leaping" begin
        states, _, status = simulate(
            BIRTH_DEATH,
            THETA,
            [0],
            TIMES,
            1:N;
            method = :tau,
            dt = last(TIMES) / 1000,
        )
        @test all(==(STATUS_OK), status)
        for (m, t) in enumerate(TIMES)
            # within 3 % + 4 se, as in the Python tests
            @test abs(mean(states[1, m, :]) - exact_mean(t)) <=
                0.03 * exact_mean(t) + 4 * sqrt(exact_mean(t) / N)
        end
        # The guard: a fast decay leapt with a coarse step never goes negative.
        decay = ReactionNetwork([1;;], [0;;]) # g, A --> 0
        states, _, _ = simulate(
            decay,
            [5.0],
            [20],
            [0.1, 0.5, 1.0],
            1:500;
            method = :tau,
            dt = 0.5,
        )
        @test all(>=(0), states)
    end

    @testset "score function: gradient of the birth-death mean" begin
        states, scores, _, status = simulate_score(BIRTH_DEATH, THETA, 2, [0], TIMES, 1:N)
        @test all(==(STATUS_OK), status) && all(isfinite, scores)
        # The score kernel walks the same paths as the direct method.
        @test states == simulate(BIRTH_DEATH, THETA, [0], TIMES, 1:N)[1]
        for (m, t) in enumerate(TIMES), p in 1:2
            x = Float64.(states[1, m, :])
            s = scores[p, m, :]
            # E[score] = 0 holds only with the survival term.
            @test within(mean(s), 0.0, std(s) / sqrt(N))
            # A leave-one-out baseline keeps the estimate unbiased.
            baseline = (sum(x) .- x) ./ (N - 1)
            contributions = (x .- baseline) .* s
            se = std(contributions) / sqrt(N)
            @test within(mean(contributions), exact_dmean(t)[p], se)
            @test se < 0.2 * abs(exact_dmean(t)[p])
        end
        # Pure birth from 0: the score of k is exactly A(t) / k - t on every path.
        birth = ReactionNetwork([0;;], [1;;])
        states, scores, _, _ = simulate_score(birth, [4.0], 1, [0], TIMES, 1:50)
        @test scores[1, :, :] ≈ states[1, :, :] ./ 4.0 .- TIMES
    end

    @testset "Gumbel-softmax straight-through" begin
        states, tangents, _, status = simulate_gumbel(
            BIRTH_DEATH,
            THETA,
            2,
            [0],
            TIMES,
            1:N;
            temperature = 1.0,
            time_smoothing = 0.05,
        )
        @test size(tangents) == (2, 1, length(TIMES), N)
        @test all(==(STATUS_OK), status) && all(isfinite, tangents)
        for (m, t) in enumerate(TIMES)
            # the forward pass is an exact SSA
            @test within(mean(states[1, m, :]), exact_mean(t), sqrt(exact_mean(t) / N))
        end
        hard = simulate_gumbel(
            BIRTH_DEATH,
            THETA,
            2,
            [0],
            TIMES,
            1:N;
            temperature = 1.0,
            time_smoothing = 0.0,
        )
        @test hard[1] == states # the smoothing changes the tangents only
        @test hard[2] != tangents
        # Nothing can fire: no tangent.
        _, still, _, _ = simulate_gumbel(
            ReactionNetwork([1;;], [0;;]),
            [1.0],
            1,
            [0],
            TIMES,
            1:5;
            temperature = 0.5,
            time_smoothing = 0.1,
        )
        @test all(iszero, still)
    end

    @testset "alternative paths: gradient of the birth-death mean" begin
        states, alt_states, weights, _, status = simulate_altpath(
            BIRTH_DEATH,
            THETA,
            2,
            [0],
            TIMES,
            1:N,
        )
        @test size(alt_states) == (2, 1, length(TIMES), N) &&
            size(weights) == (2, length(TIMES), N)
        @test all(==(STATUS_OK), status) && all(isfinite, weights)
        for (m, t) in enumerate(TIMES)
            # the primal paths are exact SSA paths
            @test within(
                mean(states[1, m, :]),
                exact_mean(t),
                sqrt(exact_mean(t) / N);
                z = 4.5,
            )
            for p in 1:2
                terms = weights[p, m, :] .* (alt_states[p, 1, m, :] .- states[1, m, :])
                @test within(mean(terms), exact_dmean(t)[p], std(terms) / sqrt(N))
            end
        end
        # Where no alternative is carried, it is the primal state with weight 0.
        idle = weights .== 0
        @test all(alt_states[:, 1, :, :][idle] .== repeat(states[1:1, :, :], 2)[idle])
        again = simulate_altpath(BIRTH_DEATH, THETA, 2, [0], TIMES, 1:N)
        @test again[1] == states && again[3] == weights # reproducible
        @test_throws ArgumentError simulate_altpath(
            BIRTH_DEATH,
            THETA,
            2,
            [0],
            TIMES,
            1:5;
            rate_margin = 1.0,
        )
    end

    @testset "coupled pairs" begin
        h = 0.05
        plus = hcat(THETA .* [1 + h, 1], THETA .* [1, 1 + h])
        minus = hcat(THETA .* [1 - h, 1], THETA .* [1, 1 - h])
        x_plus, x_minus, _, status = simulate_coupled(
            BIRTH_DEATH,
            plus,
            minus,
            [0],
            TIMES,
            1:N,
        )
        @test size(x_plus) == (2, 1, length(TIMES), N) && all(==(STATUS_OK), status)
        for (m, t) in enumerate(TIMES), p in 1:2
            # each marginal is an exact path at its own constants
            k, g = plus[1, p], plus[2, p]
            @test within(
                mean(x_plus[p, 1, m, :]),
                exact_mean(t; k, g),
                sqrt(exact_mean(t; k, g) / N);
                z = 4.5,
            )
            terms = (x_plus[p, 1, m, :] .- x_minus[p, 1, m, :]) ./ (2h * THETA[p])
            @test within(mean(terms), exact_dmean(t)[p], std(terms) / sqrt(N))
            # the coupling keeps the pair close: far less spread than independent paths
            @test std(x_plus[p, 1, m, :] .- x_minus[p, 1, m, :]) <
                0.5 * sqrt(2 * exact_mean(t))
        end
        # Equal constants: the two paths of a pair coincide.
        same, also, _ = simulate_coupled(BIRTH_DEATH, plus, plus, [0], TIMES, 1:50)
        @test same == also
    end
end
