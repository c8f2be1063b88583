# The REPL-first layer: parsing (with its errors), named inputs and NamedAxesArray results.

@testset "REPL API" begin
    @testset "parse" begin
        net = SSAGrad.parse(
            """
            kon,  Goff --> Gon      # a comment
            koff, Gon --> Goff
            ktx,  Gon --> Gon + M
            kdeg, M --> ∅
        """,
        )
        @test net.species == [:Goff, :Gon, :M]
        @test net.parameters == [:kon, :koff, :ktx, :kdeg]
        @test SSAGrad.parse("(kf, kb), 2A <--> B").kernel.reactant_coeff == [2, 1]
        @test SSAGrad.parse("k, 2*A + A → B").kernel.reactant_coeff == [3]
        hill = SSAGrad.parse("hill(X, v, 2.5, 3), 0 --> Y")
        @test hill.species == [:X, :Y] &&
            hill.parameters == [:v] &&
            hill.literals == [2.5, 3.0]
        @test hill.kernel.rate_slots == [1 2 3]
        bad = (
            "k, A -> B",
            "k A --> B",
            "k, A --> B --> C",
            "hill(X, v, K), 0 --> X",
            "k, --> A",
            "k, 0A --> B",
            "k, A --> k",
            "",
            "(k), A <--> B",
        )
        for text in bad
            @test_throws ArgumentError SSAGrad.parse(text)
        end
        err = try
            SSAGrad.parse("k, 0 --> A\nk, A -> B")
        catch e
            e
        end
        @test occursin("line 2", err.msg)
    end

    net = SSAGrad.parse("k, 0 --> A\ng, A --> 0")
    times = [0.5, 1.0, 2.0]

    @testset "named inputs" begin
        r = simulate(net, (k = 10.0, g = 1.0), (A = 0,), times; n = 100, seed = 3)
        @test dimnames(r.x) == (:species, :time, :sample)
        @test size(r.x) == (1, 3, 100) && all(==(STATUS_OK), r.status)
        same = simulate(
            net,
            Dict("k" => 10.0, "g" => 1.0),
            Dict(:A => 0),
            times;
            n = 100,
            seed = 3,
        )
        @test parent(same.x) == parent(r.x)
        @test parent(simulate(net, [10.0, 1.0], nothing, times; n = 10, seed = 3).x) ==
            parent(r.x)[:, :, 1:10] # a prefix of the seeds is a prefix of the ensemble
        @test_throws ArgumentError simulate(net, (k = 1.0,), nothing, times)
        @test_throws ArgumentError simulate(
            net,
            (k = 1.0, g = 1.0, h = 2.0),
            nothing,
            times,
        )
        @test_throws ArgumentError simulate(net, (k = 1.0, g = 1.0), (B = 1,), times)
        @test_throws ArgumentError simulate(net, (k = 1.0, g = 1.0), (A = 1.5,), times)
        @test_throws ArgumentError simulate(net, (k = -1.0, g = 1.0), nothing, times)
        @test_throws ArgumentError gradient(
            net,
            (k = 1.0, g = 1.0),
            nothing,
            times;
            estimator = :nope,
        )
        @test_throws ArgumentError gradient(
            net,
            (k = 0.0, g = 1.0),
            nothing,
            times;
            estimator = :smoothing,
        )
    end

    @testset "NamedAxesArray" begin
        g = gradient(net, (k = 10.0, g = 1.0), nothing, times; n = 200, seed = 1)
        @test dimnames(g.dmean) == (:parameter, :species, :time)
        @test axiskeys(g.dmean, :parameter) == [:k, :g]
        row = g.dmean(parameter = :k, species = :A)
        @test row isa NamedAxesArray &&
            dimnames(row) == (:time,) &&
            row == parent(g.dmean)[1, 1, :]
        @test g.dmean(parameter = :g, species = "A", time = 2.0) == parent(g.dmean)[2, 1, 3]
        @test g.mean(species = :A) == parent(g.mean)[1, :]
        @test_throws ArgumentError g.dmean(nope = 1)
        @test_throws ArgumentError g.dmean(time = 7.0)
        @test_throws DimensionMismatch NamedAxesArray(zeros(2, 2), (:a, :b), ([1, 2], [1]))
        @test sum(g.mean) == sum(parent(g.mean)) # an AbstractArray
    end
end
