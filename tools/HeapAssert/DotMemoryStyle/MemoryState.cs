using System.Reflection;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HeapAssert.DotMemoryStyle;

/// <summary>
/// One dotMemory-style snapshot: HeapAssert's snapshot (every object reachable from a root, with its type, size and
/// shortest path) plus what dotMemory Unit's checkpoints need on top of it: the identity of every object, kept across
/// later (compacting) collections, so that a later snapshot can tell new, survived and dead objects apart.
/// </summary>
/// <remarks>
/// Identity: a compacting GC moves objects, so an address means nothing in the next snapshot. While the snapshot is
/// taken, the GC is held still (<see cref="GC.TryStartNoGCRegion(long)"/>): no object moves, so every address the helper
/// reported is still the address of that object, and this process gives each one a weak GC handle
/// (<see cref="GCHandleType.WeakTrackResurrection"/>). Weak handles keep nothing alive and are not roots, so they change
/// nothing the next snapshot sees; the GC updates them when it moves the object and clears them when it collects it.
/// In the next snapshot, again with the GC held still, each handle's target gives the object's address there, or says
/// it is gone. Nothing is pinned. If a collection happens anyway (another thread allocating past the budget), the
/// snapshot is taken again.
/// </remarks>
internal sealed class MemoryState
{
    private const long NoGcBudget = 64L * 1024 * 1024;
    private const int Attempts = 3;
    private static readonly Lock s_gate = new();
    private static readonly CheckpointRegistry s_registry = new();

    private readonly nint[] _handles;
    private readonly ConditionalWeakTable<MemoryState, int[]> _survivorsOf = [];
    private TypeFacts?[]? _types;
    private int[]? _pathKinds;
    private long _totalBytes = -1;

    private MemoryState(SnapshotData data, nint[] handles)
    {
        Data = data;
        Snapshot = new HeapSnapshot(data, Environment.CurrentManagedThreadId);
        _handles = handles;
        Hidden = HideOwnBookkeeping(data);
        Visible = [.. Enumerable.Range(0, data.ObjectAddresses.Length).Where(i => !Hidden[i])];
    }

    ~MemoryState()
    {
        foreach (var handle in _handles)
        {
            if (handle != 0)
            {
                GCHandle.FromIntPtr(handle).Free();
            }
        }
    }

    public SnapshotData Data { get; }

    public HeapSnapshot Snapshot { get; }

    /// <summary>Objects this API's own checkpoints hold (their snapshot data, their handle arrays): never counted.</summary>
    public bool[] Hidden { get; }

    /// <summary>Every counted object, in the order of the walk (the first one has the shortest path).</summary>
    public int[] Visible { get; }

    public long TotalBytes => _totalBytes >= 0 ? _totalBytes : _totalBytes = Visible.Sum(i => Data.ObjectSizes[i]);

    public int TypeIndexOf(int obj) => Data.ObjectTypes[obj];

    /// <summary>
    /// For every object, a number that two objects share when their retention paths pass the same root and the same
    /// types: objects held the same way. Parents come before children in the walk, so one pass numbers them all.
    /// </summary>
    public int[] PathKinds => _pathKinds ??= NumberPathKinds(Data);

    public TypeFacts Type(int typeIndex)
    {
        _types ??= new TypeFacts?[Data.TypeNames.Length];
        return _types[typeIndex] ??= new TypeFacts(Data.TypeNames[typeIndex], Data.TypeMethodTables[typeIndex]);
    }

    /// <summary>For every object of <paramref name="checkpoint"/>: its index in this snapshot, or -1 when it is gone.</summary>
    public int[] SurvivorsOf(MemoryState checkpoint)
    {
        if (ReferenceEquals(checkpoint, this))
        {
            return [.. Enumerable.Range(0, Data.ObjectAddresses.Length)];
        }

        return _survivorsOf.TryGetValue(checkpoint, out var map)
            ? map
            : throw new InvalidOperationException(
                "This checkpoint was taken after the snapshot it is compared with: GetDifference compares a snapshot with an earlier checkpoint.");
    }

    /// <summary>Collects, then snapshots with the GC held still, and gives every object an identity.</summary>
    public static MemoryState Take()
    {
        lock (s_gate)
        {
            for (var attempt = 1; ; attempt++)
            {
                Heap.CollectEverything();
                var state = TryTake();
                if (state is not null)
                {
                    return state;
                }

                if (attempt == Attempts)
                {
                    throw new SnapshotUnavailableException(
                        $"a garbage collection happened during each of {Attempts} dotMemory-style snapshots, so objects could not be told apart across snapshots.",
                        "Another thread allocates heavily while the check runs: let the work under test finish before dotMemory.Check.");
                }
            }
        }
    }

    private static MemoryState? TryTake()
    {
        if (!StartNoGcRegion())
        {
            return null;
        }

        nint[] handles;
        SnapshotData data;
        var earlier = s_registry.Alive();
        var maps = new int[earlier.Length][];
        var collections = GC.CollectionCount(0);
        try
        {
            data = Heap.SnapshotData(addresses: true);

            // Everything the identity pass needs is allocated here, before it starts: it must not allocate.
            var addresses = data.ObjectAddresses;
            var index = new Dictionary<nint, int>(addresses.Length);
            for (var i = 0; i < addresses.Length; i++)
            {
                index[(nint)addresses[i]] = i;
            }

            for (var c = 0; c < earlier.Length; c++)
            {
                maps[c] = new int[earlier[c]._handles.Length];
            }

            handles = new nint[addresses.Length];
            if (!StillNoGc(collections))
            {
                return null;
            }

            // No object has moved since the helper read the heap: each address is still the object it read there.
            for (var i = 0; i < addresses.Length; i++)
            {
                var address = (nint)addresses[i];
                handles[i] = GCHandle.ToIntPtr(GCHandle.Alloc(Unsafe.As<nint, object>(ref address), GCHandleType.WeakTrackResurrection));
            }

            for (var c = 0; c < earlier.Length; c++)
            {
                var map = maps[c];
                var theirs = earlier[c]._handles;
                for (var j = 0; j < theirs.Length; j++)
                {
                    var target = GCHandle.FromIntPtr(theirs[j]).Target;
                    map[j] = target is not null && index.TryGetValue(Unsafe.As<object, nint>(ref target), out var now) ? now : -1;
                }
            }

            if (!StillNoGc(collections))
            {
                // Objects moved while handles were being made: the later ones may point at nothing. Drop them all.
                foreach (var handle in handles)
                {
                    if (handle != 0)
                    {
                        GCHandle.FromIntPtr(handle).Free();
                    }
                }

                return null;
            }
        }
        finally
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }

        var state = new MemoryState(data, handles);
        for (var c = 0; c < earlier.Length; c++)
        {
            state._survivorsOf.Add(earlier[c], maps[c]);
        }

        s_registry.Add(state);
        return state;
    }

    private static int[] NumberPathKinds(SnapshotData data)
    {
        var kinds = new int[data.ObjectAddresses.Length];
        var numbers = new Dictionary<(int Parent, int Type), int>();
        for (var i = 0; i < kinds.Length; i++)
        {
            var parent = data.ObjectParents[i];
            var key = (parent >= 0 ? kinds[parent] : parent, data.ObjectTypes[i]);
            if (!numbers.TryGetValue(key, out var kind))
            {
                numbers[key] = kind = numbers.Count;
            }

            kinds[i] = kind;
        }

        return kinds;
    }

    // The budget must fit in what the GC can promise up front; a GC configured small gets a smaller one.
    private static bool StartNoGcRegion()
    {
        try
        {
            return GC.TryStartNoGCRegion(NoGcBudget);
        }
        catch (ArgumentOutOfRangeException)
        {
            return GC.TryStartNoGCRegion(NoGcBudget / 4);
        }
    }

    private static bool StillNoGc(int collections) =>
        GCSettings.LatencyMode == GCLatencyMode.NoGCRegion && GC.CollectionCount(0) == collections;

    // The checkpoints' own data is on the heap too. It is left out of every count: an object is hidden when its type is
    // one of this namespace's or when the first object that reached it is hidden (parents come before children in the walk).
    private static bool[] HideOwnBookkeeping(SnapshotData data)
    {
        const string Own = "HeapAssert.DotMemoryStyle.";
        var ownType = data.TypeNames.Select(n => n.StartsWith(Own, StringComparison.Ordinal)).ToArray();
        var hidden = new bool[data.ObjectAddresses.Length];
        for (var i = 0; i < hidden.Length; i++)
        {
            var parent = data.ObjectParents[i];
            hidden[i] = ownType[data.ObjectTypes[i]] || (parent >= 0 && hidden[parent]);
        }

        return hidden;
    }

    /// <summary>The checkpoints still in use, held weakly: one object of this namespace's own, so that it is hidden too.</summary>
    private sealed class CheckpointRegistry
    {
        private WeakReference<MemoryState>[] _states = [];

        public MemoryState[] Alive()
        {
            _states = [.. _states.Where(w => w.TryGetTarget(out _))];
            return [.. _states.Select(w => w.TryGetTarget(out var state) ? state : null).OfType<MemoryState>()];
        }

        public void Add(MemoryState state) => _states = [.. _states, new WeakReference<MemoryState>(state)];
    }
}

/// <summary>What the filters need to know about one type of the snapshot, resolved in this process.</summary>
internal sealed class TypeFacts
{
    private Type[]? _interfaces;

    public TypeFacts(string name, ulong methodTable)
    {
        Name = name;
        MethodTable = methodTable;
        Runtime = Resolve(methodTable);
    }

    /// <summary>The name the snapshot records, e.g. <c>System.Collections.Generic.List&lt;System.String&gt;</c>.</summary>
    public string Name { get; }

    public ulong MethodTable { get; }

    /// <summary>The type itself: the snapshot is of this very process, so its method table is this process's type handle.</summary>
    public Type? Runtime { get; }

    public string Namespace => Runtime?.Namespace ?? "";

    public Assembly? Assembly => Runtime?.Assembly;

    public Type[] Interfaces => _interfaces ??= Runtime?.GetInterfaces() ?? [];

    public bool Is(Type type)
    {
        if (type.IsGenericTypeDefinition)
        {
            return Runtime is { IsGenericType: true } generic && !generic.IsGenericTypeDefinition && generic.GetGenericTypeDefinition() == type;
        }

        return MethodTable == (ulong)type.TypeHandle.Value || Runtime == type;
    }

    public bool Implements(Type @interface) =>
        @interface.IsGenericTypeDefinition
            ? Interfaces.Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == @interface)
            : Interfaces.Contains(@interface);

    private static Type? Resolve(ulong methodTable)
    {
        try
        {
            return System.Type.GetTypeFromHandle(RuntimeTypeHandle.FromIntPtr((nint)methodTable));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
