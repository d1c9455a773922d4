using System.Runtime.InteropServices;

namespace HeapAssert;

/// <summary>
/// Everything a snapshot knows, in flat arrays: what the helper process sends back to the test process.
/// Objects are stored in the order a breadth-first walk from the GC roots reached them, so the first object
/// of any set is the one with the shortest retention path.
/// </summary>
internal sealed record SnapshotData
{
    public required ulong[] TypeMethodTables { get; init; }
    public required string[] TypeNames { get; init; }
    public required string[] TypeModules { get; init; }

    /// <summary>
    /// Where each object was when the snapshot was taken (the process was suspended; a later GC may move it). Empty unless
    /// the snapshot was asked for them (see <see cref="Heap.SnapshotData"/>).
    /// </summary>
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

    /// <summary>Where the time went, step by step (see <see cref="Spans"/>): the helper's steps, then the test process's.</summary>
    public Timing[] Timings { get; init; } = [];

    public void Write(BinaryWriter w)
    {
        WriteArray(w, TypeMethodTables, w.Write);
        WriteArray(w, TypeNames, w.Write);
        WriteArray(w, TypeModules, w.Write);
        WriteNumbers(w, ObjectAddresses);
        WriteNumbers(w, ObjectTypes);
        WriteSizes(w, ObjectSizes);
        WriteNumbers(w, ObjectParents);
        WriteArray(w, Roots, w.Write);
        WriteArray(w, PendingAsync, b => { w.Write(b.Object); w.Write(b.StateMachine); w.Write(b.Module); w.Write(b.State); w.Write(b.Awaiting); });
        WriteArray(w, Threads, t => { w.Write(t.ManagedThreadId); w.Write(t.Exception); WriteArray(w, t.Frames, f => { w.Write(f.Method); w.Write(f.Module); }); });
        WriteArray(w, LeftOut, w.Write);
    }

    /// <summary>Steps timed, as the helper sends them after the snapshot (its last step is the sending itself).</summary>
    public static void WriteTimings(BinaryWriter w, Timing[] timings) =>
        WriteArray(w, timings, t => { w.Write(t.Step); w.Write(t.Milliseconds); w.Write(t.CpuMilliseconds); });

    public static Timing[] ReadTimings(BinaryReader r) => ReadArray(r, () => new Timing(r.ReadString(), r.ReadDouble(), r.ReadDouble()));

    public static SnapshotData Read(BinaryReader r) => new()
    {
        TypeMethodTables = ReadArray(r, r.ReadUInt64),
        TypeNames = ReadArray(r, r.ReadString),
        TypeModules = ReadArray(r, r.ReadString),
        ObjectAddresses = ReadNumbers<ulong>(r),
        ObjectTypes = ReadNumbers<int>(r),
        ObjectSizes = ReadSizes(r),
        ObjectParents = ReadNumbers<int>(r),
        Roots = ReadArray(r, r.ReadString),
        PendingAsync = ReadArray(r, () => new PendingBox(r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadString())),
        Threads = ReadArray(r, () => new ThreadStack(r.ReadInt32(), r.ReadString(), ReadArray(r, () => new StackFrameInfo(r.ReadString(), r.ReadString())))),
        LeftOut = ReadArray(r, r.ReadString),
    };

    /// <summary>The same snapshot with more left out (a stack walk the helper was told to skip).</summary>
    public SnapshotData WithLeftOut(IEnumerable<string> more) => this with { LeftOut = [.. more, .. LeftOut] };

    /// <summary>The same snapshot without the objects' addresses, which only the dotMemory-style API needs.</summary>
    public SnapshotData WithoutAddresses() => this with { ObjectAddresses = [] };

    /// <summary>The same snapshot with more steps timed.</summary>
    public SnapshotData WithTimings(IEnumerable<Timing> more) => this with { Timings = [.. Timings, .. more] };

    // Object arrays are large (one entry per live object): they travel as raw bytes, not one number at a time.
    private static void WriteNumbers<T>(BinaryWriter w, T[] items) where T : unmanaged
    {
        w.Write(items.Length);
        w.Write(MemoryMarshal.AsBytes(items.AsSpan()));
    }

    // Sizes take four bytes each unless an object is 4 GB or more.
    private static void WriteSizes(BinaryWriter w, long[] sizes)
    {
        var narrow = sizes.All(s => s <= uint.MaxValue);
        w.Write(narrow);
        if (narrow)
        {
            WriteNumbers(w, Array.ConvertAll(sizes, s => (uint)s));
        }
        else
        {
            WriteNumbers(w, sizes);
        }
    }

    private static long[] ReadSizes(BinaryReader r) => r.ReadBoolean() ? Array.ConvertAll(ReadNumbers<uint>(r), s => (long)s) : ReadNumbers<long>(r);

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
