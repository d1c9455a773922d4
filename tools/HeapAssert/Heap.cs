namespace HeapAssert;

/// <summary>How a snapshot reads the heap.</summary>
public enum SnapshotMethod
{
    /// <summary>The helper process attaches to this process, suspends it and walks the live heap. Fast; no file.</summary>
    Attach,

    /// <summary>The runtime writes a heap dump, the helper walks it and deletes it. Slower; works where attach is not supported.</summary>
    Dump,
}

/// <summary>Snapshots of the current process's managed heap, and goleak-style checks on them.</summary>
public static class Heap
{
    private static SnapshotMethod? s_preferred;

    /// <summary>
    /// Forces a full, blocking GC (finalizers included), then snapshots the heap: every object reachable
    /// from a GC root, with the shortest path that reaches it, pending async methods and thread stacks.
    /// </summary>
    /// <exception cref="SnapshotUnavailableException">The heap cannot be read here; the message says why and how to fix it.</exception>
    public static HeapSnapshot Snapshot(SnapshotMethod? method = null)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        CollectEverything();
        var collected = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var data = SnapshotData(method);
        return new HeapSnapshot(data.WithTimings([new Timing("test process: full collections and finalizers", collected, double.NaN)]), Environment.CurrentManagedThreadId);
    }

    /// <summary>The snapshot itself, without the collection before it (the dotMemory-style API collects first, then keeps the GC still).</summary>
    /// <param name="method">How to read the heap; by default attach, or dumps where attaching is not supported.</param>
    /// <param name="addresses">Whether the snapshot carries every object's address (the dotMemory-style API needs them; a plain snapshot does not, and is sent faster without).</param>
    internal static SnapshotData SnapshotData(SnapshotMethod? method = null, bool addresses = false)
    {
        var requested = method ?? s_preferred ?? SnapshotMethod.Attach;
        try
        {
            return AgentClient.Shared.Snapshot(requested, addresses);
        }
        catch (PlatformNotSupportedException) when (method is null && requested == SnapshotMethod.Attach)
        {
            // Live attach is not available on this OS: use dumps from now on.
            s_preferred = SnapshotMethod.Dump;
            return AgentClient.Shared.Snapshot(SnapshotMethod.Dump, addresses);
        }
    }

    /// <summary>
    /// Snapshots the heap and runs <paramref name="assertion"/> on it. When it reports a leak, collects again, backs off
    /// (50 ms, doubling) and retries with a fresh snapshot until <paramref name="within"/> (default 3 s) has passed, like
    /// goleak: work that is finishing (a connection closing, a cancelled task unwinding) is not called a leak. Any other
    /// failure ends the check at once.
    /// </summary>
    public static void Check(Action<HeapSnapshot> assertion, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(3));
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                assertion(Snapshot());
                return;
            }
            catch (Exception e) when (Leak.IsLeakFailure(e) && DateTime.UtcNow + pause < deadline)
            {
                Thread.Sleep(pause);
                pause *= 2;
            }
        }
    }

    /// <summary>
    /// The collection every snapshot starts with: finalizers run, and what they let go is collected. It does not compact:
    /// the walk counts only what is reachable from the roots, so moving the survivors would only cost time.
    /// </summary>
    public static void CollectEverything()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
    }
}

/// <summary>The heap could not be snapshotted. The message says why and how to fix it; a memory test never passes without a snapshot.</summary>
public sealed class SnapshotUnavailableException(string reason, string fix)
    : Exception($"Heap snapshot unavailable: {reason}{Environment.NewLine}How to fix: {fix}");
