namespace HeapAssert.DotMemoryStyle;

/// <summary>
/// Everything alive at one <c>dotMemory.Check</c>: every object reachable from a GC root after a full, compacting
/// collection. dotMemory Unit's <c>Memory</c>.
/// </summary>
public sealed class Memory
{
    private readonly MemoryState _state;

    internal Memory(MemoryState state, CheckRecord record)
    {
        _state = state;
        Record = record;
    }

    /// <summary>How many objects are alive.</summary>
    public int ObjectsCount => _state.Visible.Length;

    /// <summary>Their total size in bytes (shallow sizes).</summary>
    public long SizeInBytes => _state.TotalBytes;

    internal CheckRecord Record { get; }

    /// <summary>The live objects that match <paramref name="where"/>, e.g. <c>where =&gt; where.Type.Is&lt;Foo&gt;()</c>.</summary>
    public ObjectSet GetObjects(Func<ObjectProperty, Query> where)
    {
        ArgumentNullException.ThrowIfNull(where);
        var query = where(new ObjectProperty());
        var matches = query.Compile(_state);
        return new ObjectSet(_state, [.. _state.Visible.Where(matches)], "", query.Description, Record);
    }

    /// <summary>What changed since <paramref name="checkPoint"/>: objects created since and still alive, objects alive then and now, objects gone.</summary>
    public SnapshotDifference GetDifference(MemoryCheckPoint checkPoint) =>
        new(checkPoint.State ?? throw new ArgumentException("This checkpoint was not returned by dotMemory.Check.", nameof(checkPoint)), _state, Record);
}

/// <summary>
/// A reference to the memory at one <c>dotMemory.Check</c>, to compare a later check with:
/// <c>memory.GetDifference(checkPoint)</c>. Keep it only as long as you need it: it holds a weak handle per object.
/// </summary>
public readonly struct MemoryCheckPoint : IEquatable<MemoryCheckPoint>
{
    internal MemoryCheckPoint(MemoryState state) => State = state;

    internal MemoryState? State { get; }

    /// <inheritdoc />
    public bool Equals(MemoryCheckPoint other) => ReferenceEquals(State, other.State);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MemoryCheckPoint other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => State?.GetHashCode() ?? 0;

    /// <summary>Same checkpoint.</summary>
    public static bool operator ==(MemoryCheckPoint left, MemoryCheckPoint right) => left.Equals(right);

    /// <summary>Different checkpoints.</summary>
    public static bool operator !=(MemoryCheckPoint left, MemoryCheckPoint right) => !left.Equals(right);
}

/// <summary>Which snapshot's view of a survived object: its size and path then, or now.</summary>
public enum Origin
{
    /// <summary>The earlier checkpoint.</summary>
    OldSnapshot,

    /// <summary>The later snapshot.</summary>
    NewSnapshot,
}

/// <summary>
/// Two snapshots compared object by object (not type by type): dotMemory Unit's <c>SnapshotDifference</c>. An object is
/// the same object in both even if a compacting collection moved it in between.
/// </summary>
public sealed class SnapshotDifference
{
    private readonly MemoryState _old;
    private readonly MemoryState _new;
    private readonly CheckRecord _record;
    private readonly int[] _survivors;

    internal SnapshotDifference(MemoryState old, MemoryState @new, CheckRecord record)
    {
        _old = old;
        _new = @new;
        _record = record;
        _survivors = @new.SurvivorsOf(old);
    }

    /// <summary>Objects created after the checkpoint and alive now.</summary>
    public ObjectSet GetNewObjects() => New(recorded: true);

    /// <summary>Objects created after the checkpoint, alive now, and matching <paramref name="where"/>.</summary>
    public ObjectSet GetNewObjects(Func<ObjectProperty, Query> where) => New(recorded: false).GetObjects(where);

    /// <summary>Objects alive at the checkpoint and still alive now, as <paramref name="from"/> saw them.</summary>
    public ObjectSet GetSurvivedObjects(Origin from = Origin.NewSnapshot) => Survived(from, recorded: true);

    /// <summary>Objects alive at the checkpoint, still alive now, and matching <paramref name="where"/>.</summary>
    public ObjectSet GetSurvivedObjects(Func<ObjectProperty, Query> where, Origin from = Origin.NewSnapshot) =>
        Survived(from, recorded: false).GetObjects(where);

    /// <summary>Objects alive at the checkpoint and collected since (their sizes and paths are the checkpoint's).</summary>
    public ObjectSet GetDeadObjects() => Dead(recorded: true);

    /// <summary>Objects alive at the checkpoint, collected since, and matching <paramref name="where"/>.</summary>
    public ObjectSet GetDeadObjects(Func<ObjectProperty, Query> where) => Dead(recorded: false).GetObjects(where);

    private ObjectSet New(bool recorded)
    {
        var survived = new bool[_new.Data.ObjectAddresses.Length];
        foreach (var now in _survivors)
        {
            if (now >= 0)
            {
                survived[now] = true;
            }
        }

        return new ObjectSet(_new, [.. _new.Visible.Where(i => !survived[i])], "new", "", _record, recorded);
    }

    private ObjectSet Survived(Origin from, bool recorded) => from == Origin.NewSnapshot
        ? new ObjectSet(_new, [.. _old.Visible.Select(i => _survivors[i]).Where(now => now >= 0 && !_new.Hidden[now]).Order()], "survived", "", _record, recorded)
        : new ObjectSet(_old, [.. _old.Visible.Where(i => _survivors[i] >= 0 && !_new.Hidden[_survivors[i]])], "survived", "", _record, recorded);

    private ObjectSet Dead(bool recorded) =>
        new(_old, [.. _old.Visible.Where(i => _survivors[i] < 0)], "dead", "", _record, recorded);
}
