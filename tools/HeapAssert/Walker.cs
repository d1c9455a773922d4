using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Diagnostics.Runtime;

namespace HeapAssert;

/// <summary>
/// Runs in the helper process. Walks the heap of an attached (suspended) process or of a dump, breadth-first
/// from the GC roots, and flattens what it finds into a <see cref="SnapshotData"/>.
/// </summary>
/// <remarks>
/// Thread stacks are walked first, one thread at a time, each announced through <c>walking</c>: the runtime's
/// data-access library can crash while it walks the stack of a busy thread, and the test process then knows which
/// walk to leave out next time (see <see cref="AgentClient"/>). The objects themselves are read straight from memory:
/// each type's layout (size, where its references are) is looked up once, not once per object.
/// </remarks>
internal sealed class Walker
{
    private const int TaskCompletedMask = 0x1600000; // RanToCompletion | Faulted | Canceled
    private const int MaxFramesPerThread = 48;

    private readonly ClrRuntime _runtime;
    private readonly ClrHeap _heap;
    private readonly IDataReader _memory;
    private readonly int _pointerSize;
    private readonly Facts _facts = Facts.Shared;
    private readonly Dictionary<ulong, Layout?> _layouts = [];
    private readonly List<ulong> _typeMethodTables = [];
    private readonly List<string> _typeNames = [];
    private readonly List<string> _typeModules = [];

    private readonly HeapImage _image;
    private byte[] _headerScratch = new byte[16];
    private readonly List<ulong> _addresses = new(s_lastCount);
    private readonly List<Layout> _objectLayouts = new(s_lastCount);
    private readonly List<int> _types = new(s_lastCount);
    private readonly List<long> _sizes = new(s_lastCount);
    private readonly List<int> _parents = new(s_lastCount);
    private readonly List<string> _roots = [];
    private readonly List<(ulong Address, ulong MethodTable, int Index)> _boxes = [];
    private readonly List<ulong> _threadStaticTypes = [];
    private int _unreadable;
    private Layout? _lastLayout;

    // The helper serves one process, whose heap changes little from one snapshot to the next: size for the last one.
    private static int s_lastCount = 1024;

    private Walker(ClrRuntime runtime)
    {
        _runtime = runtime;
        _heap = runtime.Heap;
        _memory = runtime.DataTarget.DataReader;
        _pointerSize = _memory.PointerSize;
        _image = new HeapImage(_heap, _memory);
    }

    /// <summary>Walks the heap, leaving out the stack walks named in <paramref name="skip"/> ("roots 1234", "frames 1234").</summary>
    /// <param name="runtime">The runtime to walk.</param>
    /// <param name="skip">Stack walks not to attempt, by key.</param>
    /// <param name="walking">Called with a key and a label before each stack walk, and with empty strings after the last.</param>
    /// <param name="spans">Where the time goes, step by step.</param>
    public static SnapshotData Walk(ClrRuntime runtime, IReadOnlySet<string> skip, Action<string, string> walking, Spans spans)
    {
        if (!runtime.Heap.CanWalkHeap || Agent.Fault == "not-walkable")
        {
            throw new HeapNotWalkableException();
        }

        var walker = new Walker(runtime);
        spans.Mark("read the heap's layout (segments)");
        try
        {
            return walker.Run(skip, walking, spans);
        }
        finally
        {
            walker._image.Dispose();
        }
    }

    private SnapshotData Run(IReadOnlySet<string> skip, Action<string, string> walking, Spans spans)
    {
        var threads = new List<ThreadStack>();
        var stackRoots = new List<(ClrObject, string)>();
        var alive = _runtime.Threads.Where(t => t.IsAlive).ToArray();
        foreach (var thread in alive)
        {
            var label = $"thread #{thread.ManagedThreadId} (OS thread {thread.OSThreadId})";
            var framesKey = $"frames {thread.OSThreadId}";
            if (!skip.Contains(framesKey))
            {
                walking(framesKey, label);
                threads.Add(DescribeThread(thread));
            }

            var rootsKey = $"roots {thread.OSThreadId}";
            if (!skip.Contains(rootsKey))
            {
                walking(rootsKey, label);
                foreach (var root in thread.EnumerateStackRoots())
                {
                    stackRoots.Add((root.Object, $"local in {_facts.Method(root.StackFrame?.Method).Name} (thread #{thread.ManagedThreadId})"));
                }
            }
        }

        walking("", "");
        spans.Mark("thread stacks (frames, stack roots)");

        var handles = _runtime.EnumerateHandles().ToArray();

        // Roots are seeded in the order a person reads them best: a named static field beats the anonymous handle that
        // holds the statics array; a thread's local beats a handle; the finalizer queue comes last.
        foreach (var (slot, name) in StaticSlots(handles))
        {
            if (_memory.ReadPointer(slot, out var value))
            {
                Root(value, name);
            }
        }

        spans.Mark("roots: static fields");
        foreach (var (slot, name) in ThreadStaticSlots(alive))
        {
            if (_memory.ReadPointer(slot, out var value))
            {
                Root(value, name);
            }
        }

        spans.Mark("roots: [ThreadStatic] fields");
        foreach (var (target, name) in stackRoots)
        {
            Root(target.Address, name);
        }

        var dependents = new Dictionary<ulong, List<ulong>>();
        var weakerHandles = new List<(ulong, string)>();
        foreach (var handle in handles)
        {
            if (handle.HandleKind == ClrHandleKind.Dependent && handle.Object.Address != 0 && handle.Dependent.Address != 0)
            {
                if (!dependents.TryGetValue(handle.Object.Address, out var list))
                {
                    dependents[handle.Object.Address] = list = [];
                }

                list.Add(handle.Dependent.Address);
            }
            else if (handle.IsStrong && handle.RootKind == ClrRootKind.StrongHandle)
            {
                Root(handle.Object.Address, $"strong handle ({handle.HandleKind})");
            }
            else if (handle.IsStrong)
            {
                weakerHandles.Add((handle.Object.Address, handle.RootKind == ClrRootKind.PinnedHandle ? "pinned handle" : $"{handle.HandleKind} handle"));
            }
        }

        foreach (var (address, name) in weakerHandles)
        {
            Root(address, name);
        }

        foreach (var root in _heap.EnumerateFinalizerRoots())
        {
            Root(root.Object.Address, "finalizer queue (waiting to run a finalizer)");
        }

        foreach (var root in _heap.EnumerateAdditionalRoots())
        {
            Root(root.Object.Address, root.RootKind.ToString());
        }

        spans.Mark("roots: stacks, handles, finalizer queue");
        WalkFromRoots(dependents);
        spans.Mark("walk from the roots");
        s_lastCount = _addresses.Count + (_addresses.Count / 8);

        var leftOut = _unreadable == 0
            ? Array.Empty<string>()
            : [$"{_unreadable:N0} reference{(_unreadable == 1 ? "" : "s")} to memory that could not be read as an object (skipped, with whatever only they hold)"];
        var data = new SnapshotData
        {
            TypeMethodTables = [.. _typeMethodTables],
            TypeNames = [.. _typeNames],
            TypeModules = [.. _typeModules],
            ObjectAddresses = [.. _addresses],
            ObjectTypes = [.. _types],
            ObjectSizes = [.. _sizes],
            ObjectParents = [.. _parents],
            Roots = [.. _roots],
            PendingAsync = [.. _boxes.Select(b => DescribePending(b.Address, b.MethodTable, b.Index)).OfType<PendingBox>()],
            Threads = [.. threads],
            LeftOut = leftOut,
        };
        spans.Mark("pending async methods, tables");
        return data;
    }

    private void Root(ulong address, string name)
    {
        if (address != 0 && _image.Mark(address))
        {
            _roots.Add(name);
            if (!Visit(address, -_roots.Count))
            {
                _roots.RemoveAt(_roots.Count - 1);
            }
        }
    }

    private void WalkFromRoots(Dictionary<ulong, List<ulong>> dependents)
    {
        if (Agent.Fault == "walk-throws")
        {
            throw new InvalidOperationException("a fault feigned for a test (--fault walk-throws): the walk fails here");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            for (var next = 0; next < _addresses.Count; next++)
            {
                var address = _addresses[next];
                var layout = _objectLayouts[next];
                if (layout.GCDesc is { } gcDesc)
                {
                    var size = (int)Math.Min(_sizes[next], int.MaxValue);
                    var bytes = _image.Read(address, size, ref buffer);
                    if (bytes.Length != size)
                    {
                        _unreadable++;
                        continue;
                    }

                    WalkReferences(gcDesc, bytes, next);
                }

                if (dependents.Count > 0 && dependents.TryGetValue(address, out var targets))
                {
                    foreach (var target in targets)
                    {
                        if (_image.Mark(target))
                        {
                            Visit(target, next);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The runtime's GC descriptor sits just before the method table and lists where an object's references are.
    // Positive count: series of (size, offset) runs, the size relative to the object's size. Negative count: an array
    // of structs, with a repeating pattern of (references, bytes to skip) from a start offset.
    private void WalkReferences(byte[] gcDesc, ReadOnlySpan<byte> obj, int parent)
    {
        var p = _pointerSize;
        var series = (int)ReadSigned(gcDesc, gcDesc.Length - p);
        var highest = gcDesc.Length - (p * 3);
        if (series > 0)
        {
            var lowest = gcDesc.Length - (p + (series * p * 2));
            for (var current = highest; current >= lowest; current -= p * 2)
            {
                var offset = ReadSigned(gcDesc, current + p);
                var stop = offset + ReadSigned(gcDesc, current) + obj.Length;
                for (; offset < stop; offset += p)
                {
                    Reference(obj, (int)offset, parent);
                }
            }

            return;
        }

        var start = ReadSigned(gcDesc, highest + p);
        var at = start;
        while (at < obj.Length - p)
        {
            for (var i = 0; i > series; i--)
            {
                var item = highest + (i * p);
                var pointers = p == 8 ? BinaryPrimitives.ReadInt32LittleEndian(gcDesc.AsSpan(item)) : BinaryPrimitives.ReadUInt16LittleEndian(gcDesc.AsSpan(item));
                var skip = p == 8 ? BinaryPrimitives.ReadInt32LittleEndian(gcDesc.AsSpan(item + 4)) : BinaryPrimitives.ReadInt16LittleEndian(gcDesc.AsSpan(item + 2));
                for (var n = 0; n < pointers; n++, at += p)
                {
                    Reference(obj, (int)at, parent);
                }

                at += skip;
            }
        }
    }

    private void Reference(ReadOnlySpan<byte> obj, int offset, int parent)
    {
        var target = _pointerSize == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(obj[offset..]) : BinaryPrimitives.ReadUInt32LittleEndian(obj[offset..]);
        if (target != 0 && _image.Mark(target))
        {
            Visit(target, parent);
        }
    }

    private long ReadSigned(byte[] data, int at) =>
        _pointerSize == 8 ? BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(at)) : BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));

    /// <summary>
    /// Adds the object at <paramref name="address"/> (already marked as seen); false (and counted) when it cannot be read as one.
    /// </summary>
    private bool Visit(ulong address, int parent)
    {
        var headerSize = _pointerSize * 2;
        var header = _image.Read(address, headerSize, ref _headerScratch);
        if (header.Length != headerSize)
        {
            _unreadable++;
            return false;
        }

        var methodTable = (_pointerSize == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(header) : BinaryPrimitives.ReadUInt32LittleEndian(header)) & ~3UL;
        if (LayoutOf(methodTable) is not { } layout)
        {
            _unreadable++;
            return false;
        }

        if (layout.IsFree)
        {
            return false;
        }

        long size = layout.BaseSize;
        if (layout.ComponentSize != 0)
        {
            var count = (long)BinaryPrimitives.ReadUInt32LittleEndian(header[_pointerSize..]) + (layout.IsString ? 1 : 0);
            size += count * layout.ComponentSize;
        }

        var index = _addresses.Count;
        _addresses.Add(address);
        _objectLayouts.Add(layout);
        _types.Add(layout.Index);
        _sizes.Add(Math.Max(size, _pointerSize * 3));
        _parents.Add(parent);
        if (layout.IsBox)
        {
            _boxes.Add((address, layout.MethodTable, index));
        }

        return true;
    }

    private Layout? LayoutOf(ulong methodTable)
    {
        if (methodTable == _lastLayout?.MethodTable)
        {
            return _lastLayout;
        }

        if (_layouts.TryGetValue(methodTable, out var layout))
        {
            return _lastLayout = layout;
        }

        if (_facts.Type(methodTable, _heap, _memory) is { } type)
        {
            layout = new Layout(methodTable, _typeNames.Count, type.BaseSize, type.ComponentSize, type.IsString, type.IsFree, type.IsBox, type.GCDesc);
            _typeMethodTables.Add(methodTable);
            _typeNames.Add(type.Name);
            _typeModules.Add(type.Module);
        }

        _layouts[methodTable] = layout;
        return layout;
    }

    private sealed record Layout(ulong MethodTable, int Index, uint BaseSize, uint ComponentSize, bool IsString, bool IsFree, bool IsBox, byte[]? GCDesc);

    // Reference-type static fields, as (slot address, "static Type.field"). What a type has is worked out once (see
    // Facts) and a slot never moves. Every snapshot lists the loaded types (which is cheap) and learns the new ones; the
    // fields of types not yet initialized are looked at again (which is not cheap: it materializes every field of the
    // type) only when the arrays where the runtime keeps statics hold a reference that no known field accounts for.
    // Types with [ThreadStatic] fields are noted on the way, for ThreadStaticSlots.
    private IEnumerable<(ulong Slot, string Name)> StaticSlots(ClrHandle[] handles)
    {
        var domain = _runtime.AppDomains.FirstOrDefault() ?? _runtime.SystemDomain;
        if (domain is null)
        {
            yield break;
        }

        var withStatics = new List<(ulong MethodTable, StaticField[] Fields)>();
        foreach (var module in _runtime.EnumerateModules())
        {
            foreach (var (methodTable, _) in module.EnumerateTypeDefToMethodTableMap())
            {
                if (methodTable == 0 || _facts.Type(methodTable, _heap, _memory) is not { } facts)
                {
                    continue;
                }

                if (facts.Statics is null || facts.ThreadStatics is null)
                {
                    var type = _heap.GetTypeByMethodTable(methodTable);
                    var typeName = TypeNames.Short(facts.Name);
                    var statics = type?.StaticFields.Where(f => f.IsObjectReference && f.Name is not null).ToArray() ?? [];
                    facts.Statics = [.. statics.Select(f => new StaticField(facts.Name, f.Name!) { Slot = f.IsInitialized(domain) ? f.GetAddress(domain) : 0 })];
                    foreach (var field in facts.Statics.Where(f => f.Slot != 0))
                    {
                        _facts.Named(field.Slot);
                    }

                    // In its own storage for each thread: a reference, or a struct (kept boxed there). Primitives are stored apart.
                    facts.ThreadStatics = type?.ThreadStaticFields.Where(f => f.Name is not null && (f.IsObjectReference || f.ElementType == ClrElementType.Struct))
                        .Select(f => new ThreadStaticField(f.Name!, $"[ThreadStatic] {typeName}.{f.Name}", f.Offset)).ToArray() ?? [];
                }

                if (facts.ThreadStatics.Length > 0)
                {
                    _threadStaticTypes.Add(methodTable);
                }

                if (facts.Statics.Length > 0)
                {
                    withStatics.Add((methodTable, facts.Statics));
                }
            }
        }

        var arrays = StaticsArrays(handles);
        if (_facts.NewStatics(arrays, _memory))
        {
            foreach (var (methodTable, fields) in withStatics.Where(t => t.Fields.Any(f => f.Slot == 0)))
            {
                var type = _heap.GetTypeByMethodTable(methodTable);
                foreach (var field in fields.Where(f => f.Slot == 0))
                {
                    if (type?.GetStaticFieldByName(field.Name) is { } clrField && clrField.IsInitialized(domain))
                    {
                        field.Slot = clrField.GetAddress(domain);
                        _facts.Named(field.Slot);
                    }
                }
            }

            _facts.Looked(arrays, _memory);
        }

        foreach (var (_, fields) in withStatics)
        {
            foreach (var field in fields.Where(f => f.Slot != 0))
            {
                yield return (field.Slot, field.Description);
            }
        }
    }

    // Where the runtime keeps the statics of every type since .NET 9: object arrays, held by strong handles.
    private List<ulong> StaticsArrays(ClrHandle[] handles)
    {
        var arrays = new List<ulong>();
        foreach (var handle in handles)
        {
            var address = handle.Object.Address;
            if (handle.IsStrong && handle.HandleKind is ClrHandleKind.Strong or ClrHandleKind.Pinned && address != 0
                && _memory.ReadPointer(address, out var methodTable) && _facts.Type(methodTable & ~3UL, _heap, _memory)?.Name == "System.Object[]")
            {
                arrays.Add(address);
            }
        }

        return arrays;
    }

    // [ThreadStatic] fields of every live thread, as (slot address, "[ThreadStatic] Type.field (thread #N)"). Since .NET 9
    // each thread keeps its thread statics in arrays that only the thread's own runtime data points to: no handle holds
    // them and no stack slot need hold them, so without these roots an object only a thread static holds would not be
    // found. A type's storage differs from thread to thread, and moves when the GC compacts, so it is looked up at every
    // snapshot: one call for each type that has such fields and each live thread.
    private IEnumerable<(ulong Slot, string Name)> ThreadStaticSlots(ClrThread[] threads)
    {
        foreach (var methodTable in _threadStaticTypes)
        {
            var fields = _facts.Type(methodTable, _heap, _memory)?.ThreadStatics;
            var probe = fields is { Length: > 0 } ? _heap.GetTypeByMethodTable(methodTable)?.ThreadStaticFields.FirstOrDefault(f => f.Name == fields[0].Name) : null;
            if (probe is null)
            {
                continue;
            }

            foreach (var thread in threads)
            {
                var first = probe.GetAddress(thread);
                if (first == 0)
                {
                    continue; // the type is not initialized, or this thread has not touched its thread statics
                }

                var storage = first - (ulong)fields![0].Offset;
                foreach (var field in fields)
                {
                    yield return (storage + (ulong)field.Offset, $"{field.Description} (thread #{thread.ManagedThreadId})");
                }
            }
        }
    }

    // A pending async method, read straight from memory: where a box type keeps its flags and its state machine, and where
    // a state machine keeps its state and what it awaits, is learned once per type (see Facts); each box is then a few reads.
    private PendingBox? DescribePending(ulong box, ulong methodTable, int objectIndex)
    {
        if (_facts.Type(methodTable, _heap, _memory) is not { } boxType)
        {
            return null;
        }

        var shape = boxType.Box ??= BoxShape.Learn(_heap.GetTypeByMethodTable(methodTable));
        if (shape.StateMachineOffset < 0
            || (shape.FlagsOffset >= 0 && _memory.Read(box + (ulong)shape.FlagsOffset, out int flags) && (flags & TaskCompletedMask) != 0))
        {
            return null;
        }

        // Release builds make the state machine a struct stored inside the box; Debug builds make it a class.
        ulong stateMachine;
        StateMachineShape machine;
        if (shape.Inline is { } inline)
        {
            (stateMachine, machine) = (box + (ulong)shape.StateMachineOffset, inline);
        }
        else if (_memory.ReadPointer(box + (ulong)shape.StateMachineOffset, out stateMachine)
                 && TypeOf(stateMachine) is ({ } machineType, var machineTable))
        {
            machine = machineType.StateMachine ??= StateMachineShape.Learn(_heap.GetTypeByMethodTable(machineTable), interior: false);
        }
        else
        {
            return null;
        }

        if (machine.Name is null)
        {
            return null;
        }

        var state = machine.StateOffset >= 0 && _memory.Read(stateMachine + (ulong)machine.StateOffset, out int value) ? value : -1;
        var awaiting = "";
        foreach (var offset in machine.AwaiterReferences)
        {
            if (_memory.ReadPointer(stateMachine + (ulong)offset, out var target) && TypeOf(target) is ({ } awaited, _))
            {
                awaiting = awaited.Name;
                break;
            }
        }

        return new PendingBox(objectIndex, machine.Name, machine.Module, state, awaiting);
    }

    // The type of the object a reference points to, and its method table; (null, 0) for a null or unreadable reference.
    private (TypeFacts? Type, ulong MethodTable) TypeOf(ulong reference)
    {
        if (reference == 0 || !_memory.ReadPointer(reference, out var header))
        {
            return (null, 0);
        }

        var methodTable = header & ~3UL; // as in Visit: the low bits of the method table pointer are the GC's marks
        return (_facts.Type(methodTable, _heap, _memory), methodTable);
    }

    private ThreadStack DescribeThread(ClrThread thread)
    {
        // The whole stack, not only the frames shown: ClrMD keeps it, and the stack-roots walk then reuses it.
        var frames = thread.EnumerateStackTrace(includeContext: false)
            .Take(MaxFramesPerThread)
            .Where(f => f.Method is not null)
            .Select(f => _facts.Method(f.Method) is var (name, module) ? new StackFrameInfo(name, module) : null!)
            .ToArray();
        string exception;
        try
        {
            exception = thread.CurrentException is { Type.Name: { } name } ? TypeNames.Short(name) : "";
        }
        catch (InvalidOperationException)
        {
            exception = ""; // a thread caught in the middle of a throw: its exception cannot be read yet, which costs only its name
        }

        return new ThreadStack(thread.ManagedThreadId, exception, frames);
    }
}

/// <summary>The process was suspended in the middle of a garbage collection: its heap cannot be read as it is.</summary>
internal sealed class HeapNotWalkableException()
    : Exception("the heap was not walkable (a garbage collection was in progress when the process was suspended)");
