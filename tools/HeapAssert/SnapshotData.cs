namespace HeapAssert;

/// <summary>
/// Everything a snapshot knows, in flat arrays: what the helper process sends back to the test process.
/// Objects are stored in the order a breadth-first walk from the GC roots reached them, so the first object
/// of any set is the one with the shortest retention path.
/// </summary>
internal sealed class SnapshotData
{
    public required ulong[] TypeMethodTables { get; init; }
    public required string[] TypeNames { get; init; }
    public required string[] TypeModules { get; init; }

    public required ulong[] ObjectAddresses { get; init; }
    public required int[] ObjectTypes { get; init; }
    public required long[] ObjectSizes { get; init; }

    /// <summary>The object that first reached this one (an index), or <c>-(root + 1)</c> when a root holds it directly.</summary>
    public required int[] ObjectParents { get; init; }

    public required string[] Roots { get; init; }
    public required PendingBox[] PendingAsync { get; init; }
    public required ThreadStack[] Threads { get; init; }

    public void Write(BinaryWriter w)
    {
        WriteArray(w, TypeMethodTables, w.Write);
        WriteArray(w, TypeNames, w.Write);
        WriteArray(w, TypeModules, w.Write);
        WriteArray(w, ObjectAddresses, w.Write);
        WriteArray(w, ObjectTypes, w.Write);
        WriteArray(w, ObjectSizes, w.Write);
        WriteArray(w, ObjectParents, w.Write);
        WriteArray(w, Roots, w.Write);
        WriteArray(w, PendingAsync, b => { w.Write(b.Object); w.Write(b.StateMachine); w.Write(b.Module); w.Write(b.State); w.Write(b.Awaiting); });
        WriteArray(w, Threads, t => { w.Write(t.ManagedThreadId); WriteArray(w, t.Frames, f => { w.Write(f.Method); w.Write(f.Module); }); });
    }

    public static SnapshotData Read(BinaryReader r) => new()
    {
        TypeMethodTables = ReadArray(r, r.ReadUInt64),
        TypeNames = ReadArray(r, r.ReadString),
        TypeModules = ReadArray(r, r.ReadString),
        ObjectAddresses = ReadArray(r, r.ReadUInt64),
        ObjectTypes = ReadArray(r, r.ReadInt32),
        ObjectSizes = ReadArray(r, r.ReadInt64),
        ObjectParents = ReadArray(r, r.ReadInt32),
        Roots = ReadArray(r, r.ReadString),
        PendingAsync = ReadArray(r, () => new PendingBox(r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadString())),
        Threads = ReadArray(r, () => new ThreadStack(r.ReadInt32(), ReadArray(r, () => new StackFrameInfo(r.ReadString(), r.ReadString())))),
    };

    private static void WriteArray<T>(BinaryWriter w, IReadOnlyList<T> items, Action<T> write)
    {
        w.Write(items.Count);
        foreach (var item in items)
        {
            write(item);
        }
    }

    private static T[] ReadArray<T>(BinaryReader r, Func<T> read)
    {
        var items = new T[r.ReadInt32()];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = read();
        }

        return items;
    }
}

/// <summary>An async state machine box whose task has not completed.</summary>
/// <param name="Object">Index of the box in the snapshot's objects.</param>
/// <param name="StateMachine">The compiler-generated state machine type, e.g. <c>Hub+&lt;PollAsync&gt;d__4</c>.</param>
/// <param name="Module">The assembly that declares the async method.</param>
/// <param name="State">The state machine's <c>&lt;&gt;1__state</c>: -1 running or not started, 0 and up suspended at that await.</param>
/// <param name="Awaiting">The type of what it awaits, or an empty string when it awaits nothing.</param>
internal sealed record PendingBox(int Object, string StateMachine, string Module, int State, string Awaiting);

internal sealed record ThreadStack(int ManagedThreadId, StackFrameInfo[] Frames);

internal sealed record StackFrameInfo(string Method, string Module);
