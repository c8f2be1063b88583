# Arrays with named axes for REPL results, without a dependency: `NamedAxesArray` wraps
# an array with a name and a vector of keys per dimension and selects by key.

"""
    NamedAxesArray(data, names, keys)

`data` with a name (`Symbol`) and a vector of keys for each dimension, e.g. the means of
[`gradient`](@ref) with axes `(:species, :time)` keyed by species names and times. It is
an `AbstractArray` (integer indexing, broadcasting and `size` act on `data`); call it
with keyword arguments to select by key:

```julia
julia> g.dmean(parameter = :kon, species = :M)   # a NamedAxesArray over :time

julia> g.dmean(parameter = :kon, species = :M, time = 10.0)   # a number
```

[`dimnames`](@ref) gives the names, [`axiskeys`](@ref) the keys of one dimension, and
`parent` the plain array.
"""
struct NamedAxesArray{T, N, A <: AbstractArray{T, N}} <: AbstractArray{T, N}
    data::A
    names::NTuple{N, Symbol}
    keys::NTuple{N, AbstractVector}

    function NamedAxesArray(data::AbstractArray{T, N}, names, keys) where {T, N}
        length(names) == N == length(keys) ||
            throw(DimensionMismatch(
                "$N-dimensional data needs $N names and $N key vectors",
            ))
        allunique(names) || throw(ArgumentError("axis names must differ, got $names"))
        for (d, k) in enumerate(keys)
            length(k) == size(data, d) ||
                throw(DimensionMismatch(
                    "axis $(names[d]) has $(size(data, d)) entries but $(length(k)) keys",
                ))
        end
        return new{T, N, typeof(data)}(data, Tuple(Symbol.(names)), Tuple(keys))
    end
end

Base.size(a::NamedAxesArray) = size(a.data)
Base.getindex(a::NamedAxesArray, i::Int...) = a.data[i...]
Base.setindex!(a::NamedAxesArray, v, i::Int...) = (a.data[i...] = v)
Base.IndexStyle(::Type{<:NamedAxesArray{T, N, A}}) where {T, N, A} = IndexStyle(A)
Base.parent(a::NamedAxesArray) = a.data

"""
    dimnames(a::NamedAxesArray)

The names of the dimensions of `a`, in order.
"""
dimnames(a::NamedAxesArray) = a.names

"""
    axiskeys(a::NamedAxesArray, name::Symbol)

The keys of dimension `name` of `a` (e.g. the species names, or the times).
"""
axiskeys(a::NamedAxesArray, name::Symbol) = a.keys[dimension(a, name)]

function dimension(a::NamedAxesArray, name::Symbol)
    d = findfirst(==(name), a.names)
    d === nothing &&
        throw(ArgumentError("no axis $(repr(name)); the axes are $(join(a.names, ", "))"))
    return d
end

function key_index(a::NamedAxesArray, d::Integer, key)
    keys = a.keys[d]
    i = findfirst(
        k -> isequal(k, key) ||
            (k isa Symbol && key isa AbstractString && k === Symbol(key)),
        keys,
    )
    i === nothing &&
        throw(ArgumentError("no $(repr(key)) on axis $(a.names[d]); its keys are $(keys)"))
    return i
end

function (a::NamedAxesArray)(; selectors...)
    index = Any[Colon() for _ in a.names]
    for (name, key) in selectors
        d = dimension(a, name)
        index[d] = key_index(a, d, key)
    end
    kept = [d for d in eachindex(index) if index[d] isa Colon]
    isempty(kept) && return a.data[index...]
    return NamedAxesArray(a.data[index...], a.names[kept], a.keys[kept])
end

function Base.show(io::IO, ::MIME"text/plain", a::NamedAxesArray)
    println(io, join(size(a), " × "), " NamedAxesArray{", eltype(a), "}:")
    for (name, keys) in zip(a.names, a.keys)
        shown = length(keys) > 8 ? "$(first(keys, 4)) … $(last(keys, 2))" : "$(keys)"
        println(io, "  ", name, " ∈ ", shown)
    end
    show(io, MIME"text/plain"(), a.data)
end
