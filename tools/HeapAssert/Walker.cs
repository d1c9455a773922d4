using Microsoft.Diagnostics.Runtime;

namespace HeapAssert;

/// <summary>
/// Runs in the helper process. Walks the heap of an attached (suspended) process or of a dump, breadth-first
/// from the GC roots, and flattens what it finds into a <see cref="SnapshotData"/>.
/// </summary>
internal static class Walker
{
    private const string BoxMarker = "+AsyncStateMachineBox<";
    private const int TaskCompletedMask = 0x1600000; // RanToCompletion | Faulted | Canceled
    private const int MaxFramesPerThread = 48;

    public static SnapshotData Walk(ClrRuntime runtime)
    {
        var heap = runtime.Heap;
        if (!heap.CanWalkHeap)
        {
            throw new InvalidOperationException("The heap is not in a walkable state (a GC was in progress when the process was suspended).");
        }

        var types = new TypeTable();
        var index = new Dictionary<ulong, int>();
        var objects = new List<ClrObject>();
        var typeOf = new List<int>();
        var sizes = new List<long>();
        var parents = new List<int>();
        var roots = new List<string>();
        var boxes = new List<ClrObject>();

        int Visit(ClrObject obj, int parent)
        {
            var i = objects.Count;
            index.Add(obj.Address, i);
            objects.Add(obj);
            typeOf.Add(types.IndexOf(obj.Type!));
            sizes.Add((long)obj.Size);
            parents.Add(parent);
            if (obj.Type!.Name is { } name && name.Contains(BoxMarker, StringComparison.Ordinal))
            {
                boxes.Add(obj);
            }

            return i;
        }

        // Roots are seeded in the order a person reads them best: a named static field beats the
        // anonymous handle that holds the statics array; a thread's local beats a handle.
        foreach (var (target, description) in NamedRoots(runtime).OrderBy(r => r.Description.Rank))
        {
            if (target.IsValid && target.Type is not null && !target.IsFree && !index.ContainsKey(target.Address))
            {
                roots.Add(description.Text);
                Visit(target, -roots.Count);
            }
        }

        for (var next = 0; next < objects.Count; next++)
        {
            var obj = objects[next];
            if (!obj.ContainsPointers)
            {
                continue;
            }

            // Most edges lead to objects already seen: test the address before resolving the object's type.
            foreach (var address in obj.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
            {
                if (address != 0 && !index.ContainsKey(address) && heap.GetObject(address) is { IsValid: true, IsFree: false, Type: not null } child)
                {
                    Visit(child, next);
                }
            }
        }

        return new SnapshotData
        {
            TypeMethodTables = types.MethodTables.ToArray(),
            TypeNames = types.Names.ToArray(),
            TypeModules = types.Modules.ToArray(),
            ObjectAddresses = objects.Select(o => o.Address).ToArray(),
            ObjectTypes = typeOf.ToArray(),
            ObjectSizes = sizes.ToArray(),
            ObjectParents = parents.ToArray(),
            Roots = roots.ToArray(),
            PendingAsync = boxes.Select(b => DescribePending(b, index[b.Address])).OfType<PendingBox>().ToArray(),
            Threads = runtime.Threads.Where(t => t.IsAlive).Select(DescribeThread).ToArray(),
        };
    }

    private static IEnumerable<(ClrObject Target, (int Rank, string Text) Description)> NamedRoots(ClrRuntime runtime)
    {
        foreach (var (slot, name) in StaticSlots(runtime))
        {
            if (runtime.DataTarget.DataReader.ReadPointer(slot, out var value) && value != 0)
            {
                yield return (runtime.Heap.GetObject(value), (0, name));
            }
        }

        foreach (var root in runtime.Heap.EnumerateRoots())
        {
            yield return (root.Object, Describe(root));
        }
    }

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

    private static IEnumerable<(ulong Slot, string Name)> StaticSlots(ClrRuntime runtime)
    {
        var domain = runtime.AppDomains.FirstOrDefault() ?? runtime.SystemDomain;
        if (domain is null)
        {
            yield break;
        }

        foreach (var module in runtime.EnumerateModules())
        {
            foreach (var (methodTable, _) in module.EnumerateTypeDefToMethodTableMap())
            {
                if (methodTable == 0)
                {
                    continue;
                }

                if (!s_staticFields.TryGetValue(methodTable, out var fields))
                {
                    var type = runtime.Heap.GetTypeByMethodTable(methodTable);
                    fields = type?.StaticFields.Where(f => f.IsObjectReference && f.Name is not null)
                        .Select(f => new StaticField(type.Name ?? "?", f.Name!)).ToArray() ?? [];
                    s_staticFields[methodTable] = fields;
                }

                foreach (var field in fields)
                {
                    if (field.Slot == 0 && runtime.Heap.GetTypeByMethodTable(methodTable)?.GetStaticFieldByName(field.Name) is { } clrField && clrField.IsInitialized(domain))
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

    private static (int Rank, string Text) Describe(ClrRoot root) => root switch
    {
        ClrStackRoot { StackFrame: { } frame } => (1, $"local in {MethodName(frame.Method)} (thread #{frame.Thread?.ManagedThreadId})"),
        ClrHandle { HandleKind: var kind } when root.RootKind == ClrRootKind.StrongHandle => (2, $"strong handle ({kind})"),
        ClrHandle when root.RootKind == ClrRootKind.PinnedHandle => (3, "pinned handle"),
        ClrHandle { HandleKind: var kind } => (3, $"{kind} handle"),
        _ when root.RootKind == ClrRootKind.FinalizerQueue => (4, "finalizer queue (waiting to run a finalizer)"),
        _ => (4, root.RootKind.ToString()),
    };

    private static string MethodName(ClrMethod? method) =>
        method is null ? "an unmanaged frame" : $"{TypeNames.Short(method.Type?.Name ?? "?")}.{method.Name}";

    private static PendingBox? DescribePending(ClrObject box, int objectIndex)
    {
        if (box.TryReadField<int>("m_stateFlags", out var flags) && (flags & TaskCompletedMask) != 0)
        {
            return null;
        }

        var field = box.Type!.GetFieldByName("StateMachine");
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

        return new PendingBox(objectIndex, smType.Name, TypeTable.ModuleName(smType.Module), state, awaiting);
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
            .Select(f => new StackFrameInfo(MethodName(f.Method), TypeTable.ModuleName(f.Method!.Type?.Module)))
            .ToArray();
        return new ThreadStack(thread.ManagedThreadId, frames);
    }

    private sealed class TypeTable
    {
        private readonly Dictionary<ulong, int> _byMethodTable = [];

        public List<ulong> MethodTables { get; } = [];
        public List<string> Names { get; } = [];
        public List<string> Modules { get; } = [];

        public int IndexOf(ClrType type)
        {
            if (!_byMethodTable.TryGetValue(type.MethodTable, out var i))
            {
                i = MethodTables.Count;
                _byMethodTable.Add(type.MethodTable, i);
                MethodTables.Add(type.MethodTable);
                Names.Add(type.Name ?? $"<unknown type 0x{type.MethodTable:x}>");
                Modules.Add(ModuleName(type.Module));
            }

            return i;
        }

        public static string ModuleName(ClrModule? module)
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
}
