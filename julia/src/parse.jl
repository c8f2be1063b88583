# ssagrad's text syntax for reaction networks (Catalyst style), read without `eval`,
# lowered to the same arrays as `ssagrad.network.Network.arrays()` (1-based):
#
#     rate, reactants --> products      # a comment
#
# `rate` is a parameter name, a number, or `hill(X, v, K, n)` / `hillr(X, v, K, n)`;
# a side is `0` or `∅` or terms joined by `+` (`A`, `2A`, `2 A`, `2*A`); a reversible
# pair is `(kf, kb), A + B <--> C` (also `↔`, `⇌`); `→` may stand for `-->`.

const NAME_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"
const NUMBER_RE = r"^[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?$"
const TERM_RE = r"^(?:(\d+)\s*\*?\s*)?([A-Za-z_][A-Za-z0-9_]*)$"
const HILL_RE = r"^(hillr?)\s*\((.*)\)$"
const FORWARD = ("-->", "→")
const REVERSIBLE = ("<-->", "↔", "⇌")

"""A rate law as written: its code, arguments (names or numbers) and Hill species."""
struct RateSpec
    code::Int
    args::Vector{Union{String, Float64}}
    species::Union{Nothing, String}
end

"""One reaction as written: ordered `species => coefficient` sides and its rate law."""
struct ReactionSpec
    reactants::Vector{Pair{String, Int}}
    products::Vector{Pair{String, Int}}
    rate::RateSpec
end

"""
    Network

A network read by [`SSAGrad.parse`](@ref): species and parameter names (in ssagrad's
order: first appearance), rate-law literals, the text it came from, and its kernel
[`ReactionNetwork`](@ref), built once here and reused by every call.
"""
struct Network
    species::Vector{Symbol}
    parameters::Vector{Symbol}
    literals::Vector{Float64}
    kernel::ReactionNetwork
    text::String
end

function Base.show(io::IO, net::Network)
    print(io, "Network(", length(net.species), " species ", Tuple(net.species), ", ")
    print(
        io,
        n_reactions(net.kernel),
        " reactions, parameters ",
        Tuple(net.parameters),
        ")",
    )
end

"""
    SSAGrad.parse(text) -> Network

Read ssagrad's network text (one reaction per line; see the file header or
`docs/networks.md`). The species, parameters and arrays are those of
`ssagrad.parse(text).arrays()` in Python, with 1-based indices. Not exported (it would
clash with `Base.parse`): call it as `SSAGrad.parse`.

Throws an `ArgumentError` naming the line and the problem for malformed text.

# Examples
```julia
julia> net = SSAGrad.parse(\"\"\"
           kon,  Goff --> Gon
           koff, Gon --> Goff
           ktx,  Gon --> Gon + M
           kdeg, M --> 0
       \"\"\");

julia> net.species, net.parameters
([:Goff, :Gon, :M], [:kon, :koff, :ktx, :kdeg])
```
"""
function parse(text::AbstractString)
    reactions = ReactionSpec[]
    for (number, raw) in enumerate(split(text, '\n'))
        line = strip(first(split(raw, '#'; limit = 2)))
        isempty(line) && continue
        try
            append!(reactions, parse_line(line))
        catch err
            err isa ArgumentError || rethrow()
            throw(ArgumentError("line $number: $(err.msg)"))
        end
    end
    isempty(reactions) && throw(ArgumentError("network text contains no reactions"))
    return lower(reactions, String(text))
end

function split_top_level_comma(text::AbstractString)
    depth = 0
    for (i, char) in pairs(text)
        if char == '('
            depth += 1
        elseif char == ')'
            depth -= 1
            depth < 0 && throw(ArgumentError("unbalanced ')' in $(repr(text))"))
        elseif char == ',' && depth == 0
            return strip(text[1:prevind(text, i)]), strip(text[nextind(text, i):end])
        end
    end
    throw(ArgumentError("expected 'rate, reactants --> products' in $(repr(text))"))
end

function parse_line(line::AbstractString)
    rate_text, equation = split_top_level_comma(line)
    for arrow in REVERSIBLE
        occursin(arrow, equation) || continue
        lhs, rhs = split(equation, arrow; limit = 2)
        forward, backward = split_pair(rate_text)
        left, right = parse_side(lhs), parse_side(rhs)
        return [
            ReactionSpec(left, right, parse_rate(forward)),
            ReactionSpec(right, left, parse_rate(backward)),
        ]
    end
    for arrow in FORWARD
        occursin(arrow, equation) || continue
        lhs, rhs = split(equation, arrow; limit = 2)
        any(a -> occursin(a, rhs), FORWARD) &&
            throw(ArgumentError("more than one arrow in $(repr(line))"))
        return [ReactionSpec(parse_side(lhs), parse_side(rhs), parse_rate(rate_text))]
    end
    throw(ArgumentError("expected an arrow '-->' (or '<-->') in $(repr(line))"))
end

function split_pair(rate_text::AbstractString)
    message = "a reversible reaction needs two rates '(kf, kb)', got $(repr(rate_text))"
    startswith(rate_text, "(") && endswith(rate_text, ")") || throw(ArgumentError(message))
    try
        return split_top_level_comma(rate_text[2:prevind(rate_text, lastindex(rate_text))])
    catch
        throw(ArgumentError(message))
    end
end

function parse_term(text::AbstractString, what::AbstractString)
    text = strip(text)
    occursin(NAME_RE, text) && return String(text)
    occursin(NUMBER_RE, text) && return Base.parse(Float64, text)
    throw(ArgumentError("$what must be a parameter name or a number, got $(repr(text))"))
end

function parse_rate(text::AbstractString)
    text = strip(text)
    found = match(HILL_RE, text)
    found === nothing && return RateSpec(MASS_ACTION, [parse_term(text, "rate")], nothing)
    law = found.captures[1]
    args = strip.(split(found.captures[2], ','))
    length(args) == 4 ||
        throw(ArgumentError("$law takes (species, v, K, n), got $(repr(text))"))
    occursin(NAME_RE, args[1]) ||
        throw(ArgumentError("invalid species name $(repr(args[1])) in $(repr(text))"))
    terms = Union{String, Float64}[parse_term(a, "$law argument") for a in args[2:4]]
    return RateSpec(law == "hill" ? HILL : HILLR, terms, String(args[1]))
end

function parse_side(text::AbstractString)
    text = strip(text)
    isempty(text) && throw(ArgumentError("empty reaction side: write 0 or ∅ for nothing"))
    text in ("0", "∅") && return Pair{String, Int}[]
    side = Pair{String, Int}[]
    for term in strip.(split(text, '+'))
        found = match(TERM_RE, term)
        found === nothing &&
            throw(ArgumentError(
                "cannot read the term $(repr(term)) (expected e.g. 'A' or '2A')",
            ))
        name = String(found.captures[2])
        coeff = found.captures[1] === nothing ? 1 : Base.parse(Int, found.captures[1])
        coeff >= 1 || throw(ArgumentError("coefficient of $(repr(name)) must be positive"))
        k = findfirst(p -> first(p) == name, side)
        k === nothing ?
            push!(side, name => coeff) :
            (side[k] = name => last(side[k]) + coeff)
    end
    return side
end
