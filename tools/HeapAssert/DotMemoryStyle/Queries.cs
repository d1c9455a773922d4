using System.Reflection;
using System.Text.RegularExpressions;

namespace HeapAssert.DotMemoryStyle;

/// <summary>
/// A condition on objects, as dotMemory Unit's: made by <see cref="ObjectProperty"/> (<c>where.Type.Is&lt;Foo&gt;()</c>)
/// and combined with <c>&amp;</c>, <c>|</c> and <c>!</c>.
/// </summary>
public sealed class Query
{
    private readonly Func<MemoryState, Func<int, bool>> _compile;

    private Query(string description, Func<MemoryState, Func<int, bool>> compile)
    {
        Description = description;
        _compile = compile;
    }

    /// <summary>The condition in words, e.g. <c>Type.Is&lt;ReportEntry&gt;</c>.</summary>
    public string Description { get; }

    /// <summary>Objects that match both.</summary>
    public static Query operator &(Query left, Query right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new($"{left.Description} & {right.Description}", s =>
        {
            var (l, r) = (left._compile(s), right._compile(s));
            return i => l(i) && r(i);
        });
    }

    /// <summary>Objects that match either.</summary>
    public static Query operator |(Query left, Query right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new($"({left.Description} | {right.Description})", s =>
        {
            var (l, r) = (left._compile(s), right._compile(s));
            return i => l(i) || r(i);
        });
    }

    /// <summary>Objects that do not match.</summary>
    public static Query operator !(Query query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new($"!({query.Description})", s =>
        {
            var q = query._compile(s);
            return i => !q(i);
        });
    }

    /// <summary>Same as <c>&amp;</c>.</summary>
    public static Query BitwiseAnd(Query left, Query right) => left & right;

    /// <summary>Same as <c>|</c>.</summary>
    public static Query BitwiseOr(Query left, Query right) => left | right;

    /// <summary>Same as <c>!</c>.</summary>
    public static Query LogicalNot(Query query) => !query;

    /// <inheritdoc />
    public override string ToString() => Description;

    internal Func<int, bool> Compile(MemoryState state) => _compile(state);

    /// <summary>A condition on the object's type alone: worked out once per type of the snapshot.</summary>
    internal static Query OnType(string description, Func<TypeFacts, bool> matches) => new(description, s =>
    {
        var known = new sbyte[s.Data.TypeNames.Length];
        return i =>
        {
            var t = s.TypeIndexOf(i);
            if (known[t] == 0)
            {
                known[t] = matches(s.Type(t)) ? (sbyte)1 : (sbyte)-1;
            }

            return known[t] > 0;
        };
    });

    internal static Query OnObject(string description, Func<MemoryState, Func<int, bool>> compile) => new(description, compile);

    internal static string Names(IEnumerable<Type> types) => string.Join(", ", types.Select(t => TypeNames.Short(TypeNames.Runtime(t))));

    internal static string Quoted(IEnumerable<string> patterns) => string.Join(", ", patterns.Select(p => $"\"{p}\""));
}

/// <summary>What a query can select on: <c>where =&gt; where.Type.Is&lt;Foo&gt;()</c>, as in dotMemory Unit.</summary>
public sealed class ObjectProperty
{
    internal ObjectProperty()
    {
    }

    /// <summary>The object's own type (exactly: objects of derived types are not included).</summary>
    public TypeProperty Type { get; } = new();

    /// <summary>The interfaces the object's type implements, its base types' included.</summary>
    public InterfaceProperty Interface { get; } = new();

    /// <summary>The namespace of the object's type (an array: of its element type).</summary>
    public NamespaceProperty Namespace { get; } = new();

    /// <summary>The assembly that defines the object's type (a generic type: its definition; an array: its element type).</summary>
    public AssemblyProperty Assembly { get; } = new();
}

/// <summary>Selects objects by their exact type.</summary>
public sealed class TypeProperty
{
    internal TypeProperty()
    {
    }

    /// <summary>Objects of exactly <typeparamref name="T"/>.</summary>
    public Query Is<T>() => Is(typeof(T));

    /// <summary>
    /// Objects of exactly one of <paramref name="types"/>; a generic type definition (<c>typeof(List&lt;&gt;)</c>)
    /// stands for every closed type made from it.
    /// </summary>
    public Query Is(params Type[] types)
    {
        Validate(types);
        return Query.OnType($"Type.Is({Query.Names(types)})", t => types.Any(t.Is));
    }

    /// <summary>Objects of any type but <typeparamref name="T"/>.</summary>
    public Query IsNot<T>() => IsNot(typeof(T));

    /// <summary>Objects of none of <paramref name="types"/>.</summary>
    public Query IsNot(params Type[] types)
    {
        Validate(types);
        return Query.OnType($"Type.IsNot({Query.Names(types)})", t => !types.Any(t.Is));
    }

    /// <summary>
    /// Objects whose full type name matches one of <paramref name="patterns"/>: <c>*</c> stands for any text, anything else
    /// must match exactly. Names are written as the snapshot records them: <c>Namespace.Outer+Nested</c>,
    /// <c>System.Collections.Generic.List&lt;System.String&gt;</c>, <c>Worker+&lt;RunAsync&gt;d__3</c>.
    /// </summary>
    public Query Like(params string[] patterns)
    {
        var match = Wildcards.Compile(patterns);
        return Query.OnType($"Type.Like({Query.Quoted(patterns)})", t => match(t.Name));
    }

    /// <summary>Objects whose full type name matches none of <paramref name="patterns"/>.</summary>
    public Query NotLike(params string[] patterns)
    {
        var match = Wildcards.Compile(patterns);
        return Query.OnType($"Type.NotLike({Query.Quoted(patterns)})", t => !match(t.Name));
    }

    /// <summary>dotMemory Unit's alternative syntax: <c>where.Type == typeof(Foo)</c>.</summary>
    public static Query operator ==(TypeProperty property, Type type) => property.Is(type);

    /// <summary>dotMemory Unit's alternative syntax: <c>where.Type != typeof(Foo)</c>.</summary>
    public static Query operator !=(TypeProperty property, Type type) => property.IsNot(type);

    /// <inheritdoc />
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <inheritdoc />
    public override int GetHashCode() => 0;

    internal static void Validate(Type[] types)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (types.Length == 0 || types.Any(t => t is null))
        {
            throw new ArgumentException("Name at least one type, and no null.", nameof(types));
        }
    }
}

/// <summary>Selects objects by the interfaces their type implements.</summary>
public sealed class InterfaceProperty
{
    internal InterfaceProperty()
    {
    }

    /// <summary>Objects whose type implements <typeparamref name="T"/>.</summary>
    public Query Is<T>() => Is(typeof(T));

    /// <summary>
    /// Objects whose type implements one of <paramref name="interfaces"/> (directly or through a base type); an open generic
    /// interface (<c>typeof(IHandler&lt;&gt;)</c>) stands for every interface made from it.
    /// </summary>
    public Query Is(params Type[] interfaces)
    {
        Validate(interfaces);
        return Query.OnType($"Interface.Is({Query.Names(interfaces)})", t => interfaces.Any(t.Implements));
    }

    /// <summary>Objects whose type does not implement <typeparamref name="T"/>.</summary>
    public Query IsNot<T>() => IsNot(typeof(T));

    /// <summary>Objects whose type implements none of <paramref name="interfaces"/>.</summary>
    public Query IsNot(params Type[] interfaces)
    {
        Validate(interfaces);
        return Query.OnType($"Interface.IsNot({Query.Names(interfaces)})", t => !interfaces.Any(t.Implements));
    }

    /// <summary>dotMemory Unit's alternative syntax: <c>where.Interface == typeof(IDisposable)</c>.</summary>
    public static Query operator ==(InterfaceProperty property, Type @interface) => property.Is(@interface);

    /// <summary>dotMemory Unit's alternative syntax: <c>where.Interface != typeof(IDisposable)</c>.</summary>
    public static Query operator !=(InterfaceProperty property, Type @interface) => property.IsNot(@interface);

    /// <inheritdoc />
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <inheritdoc />
    public override int GetHashCode() => 0;

    private static void Validate(Type[] interfaces)
    {
        TypeProperty.Validate(interfaces);
        if (interfaces.FirstOrDefault(i => !i.IsInterface) is { } notInterface)
        {
            throw new ArgumentException($"{notInterface} is not an interface: use Type.Is for classes.", nameof(interfaces));
        }
    }
}

/// <summary>Selects objects by the namespace of their type.</summary>
public sealed class NamespaceProperty
{
    internal NamespaceProperty()
    {
    }

    /// <summary>
    /// Objects whose type's namespace matches one of <paramref name="patterns"/>: <c>*</c> stands for any text, anything else
    /// must match exactly (<c>"MyApp.Caching"</c> is that namespace alone; <c>"MyApp.Caching*"</c> includes the ones below it).
    /// </summary>
    public Query Like(params string[] patterns)
    {
        var match = Wildcards.Compile(patterns);
        return Query.OnType($"Namespace.Like({Query.Quoted(patterns)})", t => match(t.Namespace));
    }

    /// <summary>Objects whose type's namespace matches none of <paramref name="patterns"/>.</summary>
    public Query NotLike(params string[] patterns)
    {
        var match = Wildcards.Compile(patterns);
        return Query.OnType($"Namespace.NotLike({Query.Quoted(patterns)})", t => !match(t.Namespace));
    }
}

/// <summary>Selects objects by the assembly that defines their type.</summary>
public sealed class AssemblyProperty
{
    internal AssemblyProperty()
    {
    }

    /// <summary>Objects whose type is defined in one of <paramref name="assemblies"/>.</summary>
    public Query Is(params Assembly[] assemblies)
    {
        Validate(assemblies);
        return Query.OnType($"Assembly.Is({Names(assemblies)})", t => assemblies.Contains(t.Assembly));
    }

    /// <summary>Objects whose type is defined in none of <paramref name="assemblies"/>.</summary>
    public Query IsNot(params Assembly[] assemblies)
    {
        Validate(assemblies);
        return Query.OnType($"Assembly.IsNot({Names(assemblies)})", t => !assemblies.Contains(t.Assembly));
    }

    /// <summary>
    /// Objects whose type's assembly matches one of <paramref name="patterns"/>, by its full name
    /// (<c>MyApp, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null</c>) or its simple name (<c>MyApp</c>):
    /// <c>*</c> stands for any text, anything else must match exactly.
    /// </summary>
    public Query Like(params string[] patterns)
    {
        var match = Wildcards.Compile(patterns);
        return Query.OnType($"Assembly.Like({Query.Quoted(patterns)})", t => Matches(t, match));
    }

    /// <summary>Objects whose type's assembly matches none of <paramref name="patterns"/>.</summary>
    public Query NotLike(params string[] patterns)
    {
        var match = Wildcards.Compile(patterns);
        return Query.OnType($"Assembly.NotLike({Query.Quoted(patterns)})", t => !Matches(t, match));
    }

    private static bool Matches(TypeFacts type, Func<string, bool> match) =>
        type.Assembly is { } assembly && (match(assembly.FullName ?? "") || match(assembly.GetName().Name ?? ""));

    private static string Names(Assembly[] assemblies) => string.Join(", ", assemblies.Select(a => a.GetName().Name));

    private static void Validate(Assembly[] assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        if (assemblies.Length == 0 || assemblies.Any(a => a is null))
        {
            throw new ArgumentException("Name at least one assembly, and no null.", nameof(assemblies));
        }
    }
}

internal static class Wildcards
{
    /// <summary><c>*</c> matches any text (also none); everything else matches itself, case-sensitively.</summary>
    public static Func<string, bool> Compile(string[] patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        if (patterns.Length == 0 || patterns.Any(p => p is null))
        {
            throw new ArgumentException("Give at least one pattern, and no null.", nameof(patterns));
        }

        var regex = new Regex(
            "^(?:" + string.Join("|", patterns.Select(p => Regex.Escape(p).Replace(@"\*", ".*", StringComparison.Ordinal))) + ")$",
            RegexOptions.CultureInvariant | RegexOptions.Singleline);
        return regex.IsMatch;
    }
}
