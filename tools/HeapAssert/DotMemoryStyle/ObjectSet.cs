using System.Text;

namespace HeapAssert.DotMemoryStyle;

/// <summary>
/// A set of objects of one snapshot, selected by queries: dotMemory Unit's <c>ObjectSet</c>. Every object in it is a real
/// object that was reachable from a GC root after a full collection, not a type count.
/// </summary>
public sealed class ObjectSet
{
    private readonly MemoryState _state;
    private readonly int[] _objects;
    private readonly CheckRecord _record;
    private long _bytes = -1;

    internal ObjectSet(MemoryState state, int[] objects, string kind, string description, CheckRecord record, bool recorded = true)
    {
        _state = state;
        _objects = objects;
        Kind = kind;
        Description = description;
        _record = record;
        if (recorded)
        {
            record.Queried.Add(this);
        }
    }

    /// <summary>How many objects.</summary>
    public int ObjectsCount => _objects.Length;

    /// <summary>Their total size in bytes (shallow sizes, as dotMemory and <c>dumpheap -stat</c> count them).</summary>
    public long SizeInBytes => _bytes >= 0 ? _bytes : _bytes = _objects.Sum(i => _state.Data.ObjectSizes[i]);

    /// <summary>How the set was selected, e.g. <c>Type.Is(ReportEntry)</c>.</summary>
    public string Description { get; }

    /// <summary>Which objects it was selected from: live ones, or new, survived or dead since a checkpoint.</summary>
    internal string Kind { get; }

    /// <summary>The objects of this set that match <paramref name="where"/>: queries narrow further when chained.</summary>
    public ObjectSet GetObjects(Func<ObjectProperty, Query> where)
    {
        ArgumentNullException.ThrowIfNull(where);
        var query = where(new ObjectProperty());
        var matches = query.Compile(_state);
        return new ObjectSet(_state, [.. _objects.Where(matches)], Kind, Description.Length == 0 ? query.Description : $"{Description}, {query.Description}", _record);
    }

    /// <summary>The set by type, largest first: how many objects of each type and their bytes.</summary>
    public IReadOnlyList<TypeMemoryInfo> GroupByType() =>
        [.. _objects.GroupBy(_state.TypeIndexOf)
            .Select(g => new TypeMemoryInfo(_state.Type(g.Key).Runtime, TypeNames.Short(_state.Data.TypeNames[g.Key]), g.Count(), g.Sum(i => _state.Data.ObjectSizes[i])))
            .OrderByDescending(t => t.SizeInBytes).ThenByDescending(t => t.ObjectsCount)];

    /// <summary><c>500 objects (20.2 KB) where Type.Is(FileStream)</c>, <c>300 new objects (…) where …</c>, and the largest types when they are several.</summary>
    public override string ToString()
    {
        var types = GroupByType();
        var objects = ObjectsCount == 1 ? "object" : "objects";
        var of = types.Count == 1 && !Description.Contains(types[0].TypeName, StringComparison.Ordinal) ? $" of type {types[0].TypeName}" : "";
        var text = new StringBuilder($"{ObjectsCount:N0} {Kind}{(Kind.Length == 0 ? "" : " ")}{objects}{of} ({ByteSize.Format(SizeInBytes)})");
        if (Description.Length > 0)
        {
            text.Append(" where ").Append(Description);
        }

        if (types.Count > 1)
        {
            text.Append(": ").AppendJoin(", ", types.Take(3).Select(t => $"{t.ObjectsCount:N0} {t.TypeName}"));
            if (types.Count > 3)
            {
                text.Append(", …");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// How most of the set is held: the retention path that the most objects of the set share (same root, same types
    /// on the way), the shortest one of them, and how many share it.
    /// </summary>
    internal (RetentionPath Path, int Sharing)? CommonPath()
    {
        if (_objects.Length == 0)
        {
            return null;
        }

        var kinds = _state.PathKinds;
        var most = _objects.GroupBy(i => kinds[i]).MaxBy(g => g.Count())!;
        return (_state.Snapshot.PathTo(most.Min()), most.Count());
    }

    internal MemoryState State => _state;

    internal int[] Objects => _objects;
}

/// <summary>One type's objects in a set: dotMemory Unit's <c>TypeMemoryInfo</c>.</summary>
/// <param name="Type">The type, when it can be named in this process.</param>
/// <param name="TypeName">Its name, short form: <c>List&lt;String&gt;</c>.</param>
/// <param name="ObjectsCount">How many objects of it.</param>
/// <param name="SizeInBytes">Their bytes.</param>
public sealed record TypeMemoryInfo(Type? Type, string TypeName, int ObjectsCount, long SizeInBytes);

/// <summary>What one <c>dotMemory.Check</c> looked at, so that a failing assertion can say what leaked and what holds it.</summary>
internal sealed class CheckRecord
{
    public List<ObjectSet> Queried { get; } = [];
}
