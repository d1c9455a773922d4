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
    private const string BoxMarker = "+AsyncStateMachineBox<";
    private const int TaskCompletedMask = 0x1600000; // RanToCompletion | Faulted | Canceled
    private const int MaxFramesPerThread = 48;

    private readonly ClrRuntime _runtime;
    private readonly ClrHeap _heap;
    private readonly IDataReader _memory;
    private readonly int _pointerSize;
    private readonly Dictionary<ulong, Layout?> _layouts = [];
    private readonly List<ulong> _typeMethodTables = [];
    private readonly List<string> _typeNames = [];
    private readonly List<string> _typeModules = [];

    private readonly HashSet<ulong> _seen = new(s_lastCount);
    private readonly List<ulong> _addresses = new(s_lastCount);
    private readonly List<Layout> _objectLayouts = new(s_lastCount);
    private readonly List<int> _types = new(s_lastCount);
    private readonly List<long> _sizes = new(s_lastCount);
    private readonly List<int> _parents = new(s_lastCount);
    private readonly List<string> _roots = [];
    private readonly List<(ulong Address, int Index)> _boxes = [];
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
    }

    /// <summary>Walks the heap, leaving out the stack walks named in <paramref name="skip"/> ("roots 1234", "frames 1234").</summary>
    /// <param name="runtime">The runtime to walk.</param>
    /// <param name="skip">Stack walks not to attempt, by key.</param>
    /// <param name="walking">Called with a key and a label before each stack walk, and with empty strings after the last.</param>
    public static SnapshotData Walk(ClrRuntime runtime, IReadOnlySet<string> skip, Action<string, string> walking)
    {
        if (!runtime.Heap.CanWalkHeap)
        {
            throw new HeapNotWalkableException();
        }

        return new Walker(runtime).Run(skip, walking);
    }

    private SnapshotData Run(IReadOnlySet<string> skip, Action<string, string> walking)
    {
        var threads = new List<ThreadStack>();
        var stackRoots = new List<(ClrObject, string)>();
        foreach (var thread in _runtime.Threads.Where(t => t.IsAlive))
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
                    stackRoots.Add((root.Object, $"local in {MethodName(root.StackFrame?.Method)} (thread #{thread.ManagedThreadId})"));
                }
            }
        }

        walking("", "");

        // Roots are seeded in the order a person reads them best: a named static field beats the anonymous handle that
        // holds the statics array; a thread's local beats a handle; the finalizer queue comes last.
        foreach (var (slot, name) in StaticSlots())
        {
            if (_memory.ReadPointer(slot, out var value))
            {
                Root(value, name);
            }
        }

        foreach (var (target, name) in stackRoots)
        {
            Root(target.Address, name);
        }

        var dependents = new Dictionary<ulong, List<ulong>>();
        var weakerHandles = new List<(ulong, string)>();
        foreach (var handle in _runtime.EnumerateHandles())
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

        WalkFromRoots(dependents);
        s_lastCount = _addresses.Count + (_addresses.Count / 8);

        var leftOut = _unreadable == 0
            ? Array.Empty<string>()
            : [$"{_unreadable:N0} reference{(_unreadable == 1 ? "" : "s")} to memory that could not be read as an object (skipped, with whatever only they hold)"];
        return new SnapshotData
        {
            TypeMethodTables = [.. _typeMethodTables],
            TypeNames = [.. _typeNames],
            TypeModules = [.. _typeModules],
            ObjectAddresses = [.. _addresses],
            ObjectTypes = [.. _types],
            ObjectSizes = [.. _sizes],
            ObjectParents = [.. _parents],
            Roots = [.. _roots],
            PendingAsync = [.. _boxes.Select(b => DescribePending(_heap.GetObject(b.Address), b.Index)).OfType<PendingBox>()],
            Threads = [.. threads],
            LeftOut = leftOut,
        };
    }

    private void Root(ulong address, string name)
    {
        if (address != 0 && _seen.Add(address))
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
                    if (buffer.Length < size)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(size);
                    }

                    var bytes = buffer.AsSpan(0, size);
                    if (_memory.Read(address, bytes) != size)
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
                        if (_seen.Add(target))
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
    private void WalkReferences(byte[] gcDesc, Span<byte> obj, int parent)
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

    private void Reference(Span<byte> obj, int offset, int parent)
    {
        var target = _pointerSize == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(obj[offset..]) : BinaryPrimitives.ReadUInt32LittleEndian(obj[offset..]);
        if (target != 0 && _seen.Add(target))
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
        Span<byte> header = stackalloc byte[16];
        var headerSize = _pointerSize * 2;
        if (_memory.Read(address, header[..headerSize]) != headerSize)
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
            _boxes.Add((address, index));
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

        var type = methodTable == 0 ? null : _heap.GetTypeByMethodTable(methodTable);
        if (type is not null)
        {
            byte[]? gcDesc = null;
            if (type.ContainsPointers && _memory.Read(methodTable - (ulong)_pointerSize, out int entries))
            {
                var slots = 1 + (Math.Abs(entries) * 2);
                gcDesc = new byte[slots * _pointerSize];
                if (_memory.Read(methodTable - (ulong)gcDesc.Length, gcDesc) != gcDesc.Length)
                {
                    gcDesc = null;
                }
            }

            var name = type.Name ?? $"<unknown type 0x{methodTable:x}>";
            layout = new Layout(methodTable, _typeNames.Count, (uint)type.StaticSize, (uint)type.ComponentSize, type.IsString, type.IsFree,
                name.Contains(BoxMarker, StringComparison.Ordinal), gcDesc);
            _typeMethodTables.Add(methodTable);
            _typeNames.Add(name);
            _typeModules.Add(ModuleName(type.Module));
        }

        _layouts[methodTable] = layout;
        return layout;
    }

    private sealed record Layout(ulong MethodTable, int Index, uint BaseSize, uint ComponentSize, bool IsString, bool IsFree, bool IsBox, byte[]? GCDesc);

    // Reference-type static fields, as (slot address, "static Type.field"). The helper serves one process for its
    // whole life and a type's static slots never move, so what a type has is worked out once: every snapshot still
    // looks at every loaded type, but only new types and not-yet-initialized fields cost DAC calls.
    private static readonly Dictionary<ulong, StaticField[]> s_staticFields = [];

    private sealed class StaticField(string typeName, string name)
    {
        public string Name { get; } = name;
        public string Description { get; } = $"static {TypeNames.Short(typeName)}.{name}";
        public ulong Slot { get; set; }
    }

    private IEnumerable<(ulong Slot, string Name)> StaticSlots()
    {
        var domain = _runtime.AppDomains.FirstOrDefault() ?? _runtime.SystemDomain;
        if (domain is null)
        {
            yield break;
        }

        foreach (var module in _runtime.EnumerateModules())
        {
            foreach (var (methodTable, _) in module.EnumerateTypeDefToMethodTableMap())
            {
                if (methodTable == 0)
                {
                    continue;
                }

                if (!s_staticFields.TryGetValue(methodTable, out var fields))
                {
                    var type = _heap.GetTypeByMethodTable(methodTable);
                    fields = type?.StaticFields.Where(f => f.IsObjectReference && f.Name is not null)
                        .Select(f => new StaticField(type.Name ?? "?", f.Name!)).ToArray() ?? [];
                    s_staticFields[methodTable] = fields;
                }

                foreach (var field in fields)
                {
                    if (field.Slot == 0 && _heap.GetTypeByMethodTable(methodTable)?.GetStaticFieldByName(field.Name) is { } clrField && clrField.IsInitialized(domain))
                    {
                        field.Slot = clrField.GetAddress(domain);
                    }

                    if (field.Slot != 0)
                    {
                        yield return (field.Slot, field.Description);
                    }
                }
            }
        }
    }

    private static string MethodName(ClrMethod? method)
    {
        if (method is null)
        {
            return "an unmanaged frame";
        }

        var type = method.Type?.Name ?? "?";
        var name = method.Name ?? "?";
        // An async method runs in its state machine's MoveNext: name it as the method the code says.
        return name == "MoveNext" && type.Contains("+<", StringComparison.Ordinal)
            ? TypeNames.AsyncMethod(type)
            : $"{TypeNames.Short(type)}.{(name.IndexOf("[[", StringComparison.Ordinal) is > 0 and var generic ? name[..generic] : name)}";
    }

    private static PendingBox? DescribePending(ClrObject box, int objectIndex)
    {
        if (box.Type is null || (box.TryReadField<int>("m_stateFlags", out var flags) && (flags & TaskCompletedMask) != 0))
        {
            return null;
        }

        var field = box.Type.GetFieldByName("StateMachine");
        if (field?.Type is null)
        {
            return null;
        }

        // Release builds make the state machine a struct stored inside the box; Debug builds make it a class.
        ClrType? smType;
        ulong smAddress;
        bool interior;
        if (field.IsValueType)
        {
            var sm = field.ReadStruct(box.Address, interior: false);
            (smType, smAddress, interior) = (sm.Type, sm.Address, true);
        }
        else
        {
            var sm = field.ReadObject(box.Address, interior: false);
            (smType, smAddress, interior) = (sm.Type, sm.Address, false);
        }

        if (smType?.Name is null || smAddress == 0)
        {
            return null;
        }

        var state = smType.GetFieldByName("<>1__state")?.Read<int>(smAddress, interior) ?? -1;
        var awaiting = "";
        foreach (var awaiter in smType.Fields.Where(f => f.Name?.StartsWith("<>u__", StringComparison.Ordinal) == true))
        {
            var target = FirstReference(awaiter, smAddress, interior, depth: 0);
            if (target is { } t && t.Type?.Name is { } awaitedName)
            {
                awaiting = awaitedName;
                break;
            }
        }

        return new PendingBox(objectIndex, smType.Name, ModuleName(smType.Module), state, awaiting);
    }

    // An awaiter is a struct (TaskAwaiter, ValueTaskAwaiter, ConfiguredTaskAwaiter, ...) that holds what is awaited
    // somewhere inside it; the first non-null object reference is it.
    private static ClrObject? FirstReference(ClrInstanceField field, ulong address, bool interior, int depth)
    {
        if (field.IsObjectReference)
        {
            var obj = field.ReadObject(address, interior);
            return obj.IsNull || !obj.IsValid ? null : obj;
        }

        if (!field.IsValueType || depth > 3 || field.Type is null)
        {
            return null;
        }

        var inner = field.ReadStruct(address, interior);
        foreach (var sub in field.Type.Fields)
        {
            if (FirstReference(sub, inner.Address, interior: true, depth + 1) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static ThreadStack DescribeThread(ClrThread thread)
    {
        var frames = thread.EnumerateStackTrace(includeContext: false, MaxFramesPerThread)
            .Where(f => f.Method is not null)
            .Select(f => new StackFrameInfo(MethodName(f.Method), ModuleName(f.Method!.Type?.Module)))
            .ToArray();
        return new ThreadStack(thread.ManagedThreadId, CurrentExceptionName(thread), frames);
    }

    // A thread caught in the middle of a throw can have an exception object whose type ClrMD cannot read yet
    // ("Cannot construct a ClrException with a null Type"): that costs the thread's exception name, not the snapshot.
    private static string CurrentExceptionName(ClrThread thread)
    {
        try
        {
            return thread.CurrentException is { Type.Name: { } name } ? TypeNames.Short(name) : "";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    private static string ModuleName(ClrModule? module)
    {
        var name = module?.AssemblyName ?? module?.Name;
        if (string.IsNullOrEmpty(name))
        {
            return "";
        }

        // A file path for modules loaded from disk; a display name ("Name, Version=...") otherwise.
        return name.Contains(Path.DirectorySeparatorChar) || name.Contains('/') || name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? Path.GetFileNameWithoutExtension(name)
            : name.Split(',')[0];
    }
}

/// <summary>The process was suspended in the middle of a garbage collection: its heap cannot be read as it is.</summary>
internal sealed class HeapNotWalkableException()
    : Exception("the heap was not walkable (a garbage collection was in progress when the process was suspended)");
