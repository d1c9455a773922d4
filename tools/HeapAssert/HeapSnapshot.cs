using System.Reflection;
using System.Text;

namespace HeapAssert;

/// <summary>
/// What was alive at one moment: every object reachable from a GC root, with its type, size and the shortest path
/// that reaches it, plus the async methods still pending and what every managed thread was doing.
/// </summary>
[TypeFormatterSource(typeof(NotebookFormatters))]
public sealed class HeapSnapshot
{
    private readonly SnapshotData _data;
    private readonly int _snapshotThread;
    private TypeStat[]? _byType;

    internal HeapSnapshot(SnapshotData data, int snapshotThread)
    {
        _data = data;
        _snapshotThread = snapshotThread;
    }

    /// <summary>How many objects are alive.</summary>
    public int ObjectCount => _data.ObjectTypes.Length;

    /// <summary>
    /// What this snapshot had to leave out, and why: empty when it is complete. A thread whose stack crashed the runtime's
    /// data-access library, for one, is walked without its locals, and objects only they hold are missing.
    /// </summary>
    public IReadOnlyList<string> LeftOut => _data.LeftOut;

    /// <summary>Where this snapshot's time went, step by step, in milliseconds (the helper's steps, then the test process's).</summary>
    internal IReadOnlyList<Timing> Timings => _data.Timings;

    /// <summary>The bytes of all live objects (shallow sizes, as <c>dumpheap -stat</c> adds them up).</summary>
    public long TotalBytes => _data.ObjectSizes.Sum();

    /// <summary>Live objects of exactly type <typeparamref name="T"/> (not of types derived from it).</summary>
    public ObjectSet Objects<T>() => Objects(typeof(T));

    /// <summary>
    /// Live objects of exactly <paramref name="type"/>; for a generic type definition such as <c>typeof(List&lt;&gt;)</c>,
    /// live objects of every closed type made from it.
    /// </summary>
    public ObjectSet Objects(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.IsGenericTypeDefinition)
        {
            var prefix = type.FullName![..type.FullName!.IndexOf('`')] + "<";
            return Select(TypeNames.Short(prefix) + "…>", name => name.StartsWith(prefix, StringComparison.Ordinal) && !name.EndsWith(']'));
        }

        var methodTable = (ulong)type.TypeHandle.Value;
        return Select(TypeNames.Short(TypeNames.Runtime(type)), (_, mt) => mt == methodTable);
    }

    /// <summary>Live objects whose full type name is <paramref name="fullName"/>, or a generic type of that name (for types a test cannot name, such as internal ones).</summary>
    public ObjectSet ObjectsNamed(string fullName) =>
        Select(TypeNames.Short(fullName), name => name == fullName || (name.StartsWith(fullName + "<", StringComparison.Ordinal) && !name.EndsWith(']')));

    /// <summary>Live objects of every type in <paramref name="ns"/> and the namespaces below it.</summary>
    public ObjectSet ObjectsInNamespace(string ns) =>
        Select($"objects in namespace {ns}", name => name.StartsWith(ns + ".", StringComparison.Ordinal));

    /// <summary>Live objects of every type defined in <paramref name="assembly"/>.</summary>
    public ObjectSet ObjectsFrom(Assembly assembly)
    {
        var module = assembly.GetName().Name;
        return Select($"objects from {module}", (t, _) => _data.TypeModules[t] == module);
    }

    /// <summary>Types by live bytes, largest first: what <c>dumpheap -stat</c> and <c>pprof top</c> show.</summary>
    public IReadOnlyList<TypeStat> TopTypes(int count = 10) =>
        ByType().OrderByDescending(t => t.Bytes).ThenByDescending(t => t.Count).Take(count).ToArray();

    /// <summary>What changed since <paramref name="baseline"/>, by type, most grown first: what <c>pprof -base</c> shows.</summary>
    public HeapDiff Diff(HeapSnapshot baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        // Two assemblies may each define a type of the same full name (Kestrel carries its own copy of the HPack types):
        // a diff reads by name, so such types count as one.
        var before = ByName(baseline.ByType()).ToDictionary(t => t.TypeName);
        var rows = ByName(ByType()).Select(after => before.Remove(after.TypeName, out var b)
                ? new TypeDelta(after.TypeName, b.Count, after.Count, b.Bytes, after.Bytes)
                : new TypeDelta(after.TypeName, 0, after.Count, 0, after.Bytes))
            .Concat(before.Values.Select(b => new TypeDelta(b.TypeName, b.Count, 0, b.Bytes, 0)));
        return new HeapDiff(rows.Where(r => r.CountDelta != 0 || r.BytesDelta != 0)
            .OrderByDescending(r => r.BytesDelta).ThenByDescending(r => r.CountDelta).ToArray());
    }

    /// <summary>
    /// Async methods that have started and not completed, grouped by method and by what they await:
    /// what <c>dotnet-dump analyze</c>'s <c>dumpasync</c> shows, and goleak's list of goroutines.
    /// </summary>
    /// <param name="assembly">Only methods declared in this assembly; all of them when null.</param>
    public IReadOnlyList<PendingAsyncMethod> PendingAsyncMethods(Assembly? assembly = null)
    {
        var module = assembly?.GetName().Name;
        return _data.PendingAsync
            .Where(b => module is null || b.Module == module)
            .GroupBy(b => (Method: TypeNames.AsyncMethod(b.StateMachine), Awaiting: TypeNames.Awaited(b.Awaiting)))
            .Select(g => new PendingAsyncMethod(g.Key.Method, g.Key.Awaiting, g.Count(), PathTo(g.First().Object))
            {
                Bytes = g.Sum(b => _data.ObjectSizes[b.Object]),
            })
            .OrderByDescending(p => p.Count).ThenBy(p => p.Method, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// Managed threads (other than the one that took the snapshot) whose stack is inside <paramref name="assembly"/>'s code:
    /// running it, or blocked in something it called.
    /// </summary>
    public IReadOnlyList<ThreadInCode> ThreadsIn(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var module = assembly.GetName().Name;
        return _data.Threads
            .Where(t => t.ManagedThreadId != _snapshotThread && t.Frames.Any(f => f.Module == module))
            .Select(t => new ThreadInCode(t.ManagedThreadId, t.Frames.Select(f => f.Method).ToArray())
            {
                Method = t.Frames.First(f => f.Module == module).Method,
                Exception = t.Exception,
            })
            .ToArray();
    }

    /// <summary>A <c>dumpheap -stat</c>-style table of the largest types.</summary>
    public override string ToString() =>
        $"{ObjectCount:N0} live objects, {ByteSize.Format(TotalBytes)}{Environment.NewLine}{TypeStat.Table(TopTypes())}";

    internal RetentionPath PathTo(int objectIndex)
    {
        var steps = new List<string>();
        var i = objectIndex;
        while (i >= 0)
        {
            steps.Add(TypeNames.Short(_data.TypeNames[_data.ObjectTypes[i]]));
            i = _data.ObjectParents[i];
        }

        steps.Reverse();
        return new RetentionPath(_data.Roots[-i - 1], steps);
    }

    private ObjectSet Select(string description, Func<string, bool> byName) =>
        Select(description, (t, _) => byName(_data.TypeNames[t]));

    private ObjectSet Select(string description, Func<int, ulong, bool> byType)
    {
        var matches = new bool[_data.TypeNames.Length];
        for (var t = 0; t < matches.Length; t++)
        {
            matches[t] = byType(t, _data.TypeMethodTables[t]);
        }

        var first = -1;
        var count = 0;
        long bytes = 0;
        var types = _data.ObjectTypes;
        for (var i = 0; i < types.Length; i++)
        {
            if (matches[types[i]])
            {
                first = first < 0 ? i : first;
                count++;
                bytes += _data.ObjectSizes[i];
            }
        }

        return new ObjectSet(description, count, bytes, first < 0 ? null : () => PathTo(first));
    }

    private static IEnumerable<TypeStat> ByName(IEnumerable<TypeStat> stats) =>
        stats.GroupBy(t => t.TypeName, StringComparer.Ordinal).Select(g => new TypeStat(g.Key, g.Sum(t => t.Count), g.Sum(t => t.Bytes)));

    private TypeStat[] ByType()
    {
        if (_byType is null)
        {
            var counts = new int[_data.TypeNames.Length];
            var bytes = new long[_data.TypeNames.Length];
            for (var i = 0; i < _data.ObjectTypes.Length; i++)
            {
                counts[_data.ObjectTypes[i]]++;
                bytes[_data.ObjectTypes[i]] += _data.ObjectSizes[i];
            }

            _byType = counts.Select((c, t) => new TypeStat(_data.TypeNames[t], c, bytes[t])).Where(s => s.Count > 0).ToArray();
        }

        return _byType;
    }
}

/// <summary>A set of live objects selected from a snapshot.</summary>
[TypeFormatterSource(typeof(NotebookFormatters))]
public sealed class ObjectSet
{
    private readonly Func<RetentionPath>? _shortestPath;

    internal ObjectSet(string description, int count, long bytes, Func<RetentionPath>? shortestPath)
    {
        Description = description;
        Count = count;
        Bytes = bytes;
        _shortestPath = shortestPath;
    }

    /// <summary>What was selected, e.g. <c>ReportEntry</c>.</summary>
    public string Description { get; }

    /// <summary>How many live objects.</summary>
    public int Count { get; }

    /// <summary>Their bytes (shallow sizes).</summary>
    public long Bytes { get; }

    /// <summary>The shortest path from a GC root to one of these objects, like SOS <c>gcroot</c>; null when the set is empty.</summary>
    public RetentionPath? ShortestPath() => _shortestPath?.Invoke();

    /// <inheritdoc />
    public override string ToString() => $"{Count:N0} live {Description} ({ByteSize.Format(Bytes)})";
}

/// <summary>A chain of references from a GC root to an object.</summary>
/// <param name="Root">The root, in words: <c>static ReportCache.s_entries</c>, <c>local in Worker.RunAsync (thread #7)</c>, a handle, the finalizer queue.</param>
/// <param name="Steps">The type of every object on the way, the first held by the root, the last the object itself.</param>
[TypeFormatterSource(typeof(NotebookFormatters))]
public sealed record RetentionPath(string Root, IReadOnlyList<string> Steps)
{
    private const int Shown = 12;

    /// <summary><c>static ReportCache.s_entries → ConcurrentDictionary&lt;String, ReportEntry&gt; → … → ReportEntry</c></summary>
    public override string ToString()
    {
        var steps = Steps.Count <= Shown
            ? Steps
            : [.. Steps.Take(Shown / 2), $"… {Steps.Count - Shown} more …", .. Steps.TakeLast(Shown / 2)];
        return string.Join(" → ", steps.Prepend(Root));
    }
}

/// <summary>One type's live objects.</summary>
public sealed record TypeStat(string TypeName, int Count, long Bytes)
{
    internal static string Table(IEnumerable<TypeStat> rows)
    {
        var text = new StringBuilder().AppendLine($"{"Count",10} {"Bytes",12}  Type");
        foreach (var row in rows)
        {
            text.AppendLine($"{row.Count,10:N0} {ByteSize.Format(row.Bytes),12}  {TypeNames.Short(row.TypeName)}");
        }

        return text.ToString();
    }
}

/// <summary>How one type's live objects changed between two snapshots.</summary>
public sealed record TypeDelta(string TypeName, int CountBefore, int CountAfter, long BytesBefore, long BytesAfter)
{
    /// <summary>Objects gained (negative: lost).</summary>
    public int CountDelta => CountAfter - CountBefore;

    /// <summary>Bytes gained (negative: freed).</summary>
    public long BytesDelta => BytesAfter - BytesBefore;
}

/// <summary>The difference between two snapshots, most grown first.</summary>
[TypeFormatterSource(typeof(NotebookFormatters))]
public sealed class HeapDiff(IReadOnlyList<TypeDelta> rows)
{
    /// <summary>Every type whose live count or bytes changed.</summary>
    public IReadOnlyList<TypeDelta> Rows { get; } = rows;

    /// <summary>The change for one type (zero when it did not change).</summary>
    public TypeDelta For<T>()
    {
        var name = TypeNames.Runtime(typeof(T));
        return Rows.FirstOrDefault(r => r.TypeName == name) ?? new TypeDelta(name, 0, 0, 0, 0);
    }

    /// <summary>A <c>pprof -base</c>-style table of the types that grew most.</summary>
    public string ToString(int count)
    {
        var text = new StringBuilder().AppendLine($"{"+Count",10} {"+Bytes",12}  Type");
        foreach (var row in Rows.Take(count))
        {
            text.AppendLine($"{row.CountDelta,10:+#,0;-#,0;0} {ByteSize.Format(row.BytesDelta),12}  {TypeNames.Short(row.TypeName)}");
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToString(10);
}

/// <summary>Async methods of one kind that have not completed.</summary>
/// <param name="Method">The async method, e.g. <c>SubscriptionHub.PollAsync</c>.</param>
/// <param name="Awaiting">What it is suspended on, e.g. <c>Task.Delay</c>.</param>
/// <param name="Count">How many of them.</param>
/// <param name="HeldBy">What keeps one of them alive.</param>
[TypeFormatterSource(typeof(NotebookFormatters))]
public sealed record PendingAsyncMethod(string Method, string Awaiting, int Count, RetentionPath HeldBy)
{
    /// <summary>The bytes of their state machines (shallow sizes of the boxes that hold them).</summary>
    public long Bytes { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Count:N0} × {Method}, awaiting {Awaiting}";
}

/// <summary>A managed thread whose stack is inside some assembly's code.</summary>
/// <param name="ManagedThreadId">The thread's managed id.</param>
/// <param name="Frames">Its managed frames, innermost first; an async method is named as in the code (<c>Hub.PollAsync</c>).</param>
[TypeFormatterSource(typeof(NotebookFormatters))]
public sealed record ThreadInCode(int ManagedThreadId, IReadOnlyList<string> Frames)
{
    /// <summary>The innermost method of the assembly on the stack: the assembly's code the thread is in.</summary>
    public string Method { get; init; } = "";

    /// <summary>The type of the exception the thread is throwing or handling right now, or an empty string.</summary>
    public string Exception { get; init; } = "";

    /// <inheritdoc />
    public override string ToString() => $"thread #{ManagedThreadId} in {string.Join(" ← ", Frames.Take(4))}";
}

internal static class ByteSize
{
    public static string Format(long bytes)
    {
        var size = Math.Abs((double)bytes);
        var sign = bytes < 0 ? "-" : "";
        return size switch
        {
            < 1024 => $"{bytes:N0} B",
            < 1024 * 1024 => $"{sign}{size / 1024:0.#} KB",
            < 1024L * 1024 * 1024 => $"{sign}{size / 1024 / 1024:0.#} MB",
            _ => $"{sign}{size / 1024 / 1024 / 1024:0.##} GB",
        };
    }
}
