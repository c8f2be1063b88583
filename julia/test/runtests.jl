# Tests of SSAGrad, run with `Pkg.test()` (see docs/julia.md for the exact command):
#
# * kernels.jl: the kernels on the birth-death process against its exact mean and
#   derivatives, reproducible seeding (including a one-thread process), tau-leaping,
#   score, GS-ST, alternative paths and coupled pairs;
# * cme.jl: every case of fixtures/cme.toml (exact CME moments, marginals and gradients
#   exported by ssagrad's Python side) against SSAGrad.parse, simulate and gradient, with
#   the tolerances of the Python audits;
# * api.jl: the REPL layer (parse errors, named inputs, NamedAxesArray);
# * jumps.jl: the JumpProcesses extension and its aggregator route.
#
# The extension test needs JumpProcesses loaded: this file loads it only after the
# other tests ran, which also checks that the estimator kernels work without it.

using ForwardDiff: ForwardDiff
using SSAGrad
using SSAGrad: HILLR, MASS_ACTION, seed_parameters
using Statistics: mean, std, var
using TOML: TOML
using Test

include("kernels.jl")
include("cme.jl")
include("api.jl")

@testset "without JumpProcesses" begin
    @test Base.get_extension(SSAGrad, :SSAGradJumpProcessesExt) === nothing
    @test_throws ArgumentError simulate(
        BIRTH_DEATH,
        THETA,
        [0],
        TIMES,
        1:3;
        aggregator = :any,
    )
end

using JumpProcesses: Direct, DirectCR, NRM, SSAStepper, SortingDirect, solve
include("jumps.jl")
