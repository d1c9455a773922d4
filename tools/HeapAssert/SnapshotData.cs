using System.Runtime.InteropServices;

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

    /// <summary>Where each object was when the snapshot was taken (the process was suspended; a later GC may move it).</summary>
    public required ulong[] ObjectAddresses { get; init; }
    public required int[] ObjectTypes { get; init; }
    public required long[] ObjectSizes { get; init; }

    /// <summary>The object that first reached this one (an index), or <c>-(root + 1)</c> when a root holds it directly.</summary>
    public required int[] ObjectParents { get; init; }

    public required string[] Roots { get; init; }
    public required PendingBox[] PendingAsync { get; init; }
    public required ThreadStack[] Threads { get; init; }

    /// <summary>What this snapshot could not read and left out, and why, in words; empty when it is complete.</summary>
    public required string[] LeftOut { get; init; }

    public void Write(BinaryWriter w)
    {
        WriteArray(w, TypeMethodTables, w.Write);
        WriteArray(w, TypeNames, w.Write);
        WriteArray(w, TypeModules, w.Write);
        WriteNumbers(w, ObjectAddresses);
        WriteNumbers(w, ObjectTypes);
        WriteNumbers(w, ObjectSizes);
        WriteNumbers(w, ObjectParents);
        WriteArray(w, Roots, w.Write);
        WriteArray(w, PendingAsync, b => { w.Write(b.Object); w.Write(b.StateMachine); w.Write(b.Module); w.Write(b.State); w.Write(b.Awaiting); });
        WriteArray(w, Threads, t => { w.Write(t.ManagedThreadId); w.Write(t.Exception); WriteArray(w, t.Frames, f => { w.Write(f.Method); w.Write(f.Module); }); });
        WriteArray(w, LeftOut, w.Write);
    }

    public static SnapshotData Read(BinaryReader r) => new()
    {
        TypeMethodTables = ReadArray(r, r.ReadUInt64),
        TypeNames = ReadArray(r, r.ReadString),
        TypeModules = ReadArray(r, r.ReadString),
        ObjectAddresses = ReadNumbers<ulong>(r),
        ObjectTypes = ReadNumbers<int>(r),
        ObjectSizes = ReadNumbers<long>(r),
        ObjectParents = ReadNumbers<int>(r),
        Roots = ReadArray(r, r.ReadString),
        PendingAsync = ReadArray(r, () => new PendingBox(r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadString())),
        Threads = ReadArray(r, () => new ThreadStack(r.ReadInt32(), r.ReadString(), ReadArray(r, () => new StackFrameInfo(r.ReadString(), r.ReadString())))),
        LeftOut = ReadArray(r, r.ReadString),
    };

    /// <summary>The same snapshot with more left out (a stack walk the helper was told to skip).</summary>
    public SnapshotData WithLeftOut(IEnumerable<string> more) => new()
    {
        TypeMethodTables = TypeMethodTables,
        TypeNames = TypeNames,
        TypeModules = TypeModules,
        ObjectAddresses = ObjectAddresses,
        ObjectTypes = ObjectTypes,
        ObjectSizes = ObjectSizes,
        ObjectParents = ObjectParents,
        Roots = Roots,
        PendingAsync = PendingAsync,
        Threads = Threads,
        LeftOut = [.. more, .. LeftOut],
    };

    // Object arrays are large (one entry per live object): they travel as raw bytes, not one number at a time.
    private static void WriteNumbers<T>(BinaryWriter w, T[] items) where T : unmanaged
    {
        w.Write(items.Length);
        w.Write(MemoryMarshal.AsBytes(items.AsSpan()));
    }

    private static T[] ReadNumbers<T>(BinaryReader r) where T : unmanaged
    {
        var items = new T[r.ReadInt32()];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(items.AsSpan()));
        return items;
    }

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

/// <param name="ManagedThreadId">The thread's managed id.</param>
/// <param name="Exception">The type of the exception the thread is throwing or handling right now, or an empty string.</param>
/// <param name="Frames">Its managed frames, innermost first.</param>
internal sealed record ThreadStack(int ManagedThreadId, string Exception, StackFrameInfo[] Frames);

internal sealed record StackFrameInfo(string Method, string Module);
