using System.Buffers.Binary;
using Microsoft.Diagnostics.Runtime;

namespace HeapAssert;

/// <summary>
/// What the helper has learned about the types and methods of the process it serves, kept from one snapshot to the
/// next. The helper serves one process for its whole life, and asking the runtime's data-access library about a type or
/// a method is what a snapshot spends most of its time on; but a method table describes the same type, and a method
/// descriptor the same method, for as long as they exist.
/// </summary>
/// <remarks>
/// They stop existing when a collectible assembly is unloaded, and the address may then be reused. So a type is known
/// by its method table's address <em>and</em> the first bytes of the method table (its flags, base size, metadata token
/// and vtable counts), read again at every snapshot; a method by its descriptor's address and its metadata token.
/// </remarks>
internal sealed class Facts
{
    private const int StampSize = 16;
    private readonly Dictionary<ulong, TypeFacts> _types = [];
    private readonly Dictionary<(ulong, int), (string Name, string Module)> _methods = [];
    private readonly HashSet<ulong> _namedSlots = [];
    private readonly HashSet<ulong> _unnamedSlots = [];
    private bool _staticsArraysFound;

    /// <summary>The facts of the process this helper serves.</summary>
    public static Facts Shared { get; } = new();

    /// <summary>How many types and methods were looked up in the runtime (not found here) since the helper started.</summary>
    public int Learned { get; private set; }

    /// <summary>Records the slot of a static field whose type is initialized.</summary>
    public void Named(ulong slot) => _namedSlots.Add(slot);

    /// <summary>
    /// Whether a static field may have been initialized since the last look: one of <paramref name="arrays"/> (the object
    /// arrays held by strong handles, where the runtime keeps statics) has a non-null slot that no known field owns and
    /// that did not hold a reference, unowned, at the last look (<see cref="Looked"/>).
    /// </summary>
    public bool NewStatics(IReadOnlyList<ulong> arrays, IDataReader memory)
    {
        if (!_staticsArraysFound)
        {
            return true; // this runtime keeps its statics elsewhere (or this is the first look): always look again
        }

        var found = false;
        Elements(arrays, memory, (_, slot) =>
        {
            found |= !_namedSlots.Contains(slot) && !_unnamedSlots.Contains(slot);
            return !found;
        });
        return found;
    }

    /// <summary>
    /// After the fields of uninitialized types were looked at again: the references that no known field owns (statics of
    /// generic types, boxed structs, arrays that are not statics at all) are remembered as such.
    /// </summary>
    public void Looked(IReadOnlyList<ulong> arrays, IDataReader memory)
    {
        Elements(arrays, memory, (_, slot) =>
        {
            if (_namedSlots.Contains(slot))
            {
                _staticsArraysFound = true;
            }
            else
            {
                _unnamedSlots.Add(slot);
            }

            return true;
        });
    }

    // Calls visit(array, slot) for every slot of the arrays that holds a reference, until it returns false.
    private void Elements(IReadOnlyList<ulong> arrays, IDataReader memory, Func<ulong, ulong, bool> visit)
    {
        var pointerSize = (uint)memory.PointerSize;
        foreach (var array in arrays)
        {
            if (!memory.Read(array + pointerSize, out uint length))
            {
                continue;
            }

            var bytes = new byte[length * pointerSize];
            var first = array + (2 * pointerSize);
            if (memory.Read(first, bytes) != bytes.Length)
            {
                continue;
            }

            for (var i = 0; i < length; i++)
            {
                var value = pointerSize == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * 8)) : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
                if (value != 0 && !visit(array, first + ((ulong)i * pointerSize)))
                {
                    return;
                }
            }
        }
    }

    /// <summary>What a method table describes, or null when it is not one (a corrupt reference).</summary>
    public TypeFacts? Type(ulong methodTable, ClrHeap heap, IDataReader memory)
    {
        Span<byte> stamp = stackalloc byte[StampSize];
        if (methodTable == 0 || memory.Read(methodTable, stamp) != StampSize)
        {
            return null;
        }

        var first = BinaryPrimitives.ReadUInt64LittleEndian(stamp);
        var second = BinaryPrimitives.ReadUInt64LittleEndian(stamp[8..]);
        if (_types.TryGetValue(methodTable, out var known) && known.Stamp == (first, second))
        {
            return known;
        }

        if (heap.GetTypeByMethodTable(methodTable) is not { } type)
        {
            return null;
        }

        Learned++;
        var pointerSize = memory.PointerSize;
        byte[]? gcDesc = null;
        if (type.ContainsPointers && memory.Read(methodTable - (ulong)pointerSize, out int entries))
        {
            var slots = 1 + (Math.Abs(entries) * 2);
            gcDesc = new byte[slots * pointerSize];
            if (memory.Read(methodTable - (ulong)gcDesc.Length, gcDesc) != gcDesc.Length)
            {
                gcDesc = null;
            }
        }

        var name = type.Name ?? $"<unknown type 0x{methodTable:x}>";
        var facts = new TypeFacts((first, second), name, ModuleName(type.Module), (uint)type.StaticSize, (uint)type.ComponentSize,
            type.IsString, type.IsFree, name.Contains("+AsyncStateMachineBox<", StringComparison.Ordinal), gcDesc);
        _types[methodTable] = facts;
        return facts;
    }

    /// <summary>A method as the code names it (<c>Type.Method</c>, an async method by its own name), and its assembly.</summary>
    public (string Name, string Module) Method(ClrMethod? method)
    {
        if (method is null)
        {
            return ("an unmanaged frame", "");
        }

        var key = (method.MethodDesc, method.MetadataToken);
        if (!_methods.TryGetValue(key, out var known))
        {
            Learned++;
            known = (MethodName(method), ModuleName(method.Type?.Module));
            if (method.MethodDesc != 0)
            {
                _methods[key] = known;
            }
        }

        return known;
    }

    private static string MethodName(ClrMethod method)
    {
        var type = method.Type?.Name ?? "?";
        var name = method.Name ?? "?";
        // An async method runs in its state machine's MoveNext: name it as the method the code says.
        return name == "MoveNext" && type.Contains("+<", StringComparison.Ordinal)
            ? TypeNames.AsyncMethod(type)
            : $"{TypeNames.Short(type)}.{(name.IndexOf("[[", StringComparison.Ordinal) is > 0 and var generic ? name[..generic] : name)}";
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

/// <summary>What the walk needs to know of a type: its name and assembly, how big its objects are and where their references are.</summary>
internal sealed record TypeFacts(
    (ulong, ulong) Stamp, string Name, string Module, uint BaseSize, uint ComponentSize, bool IsString, bool IsFree, bool IsBox, byte[]? GCDesc)
{
    /// <summary>Its reference-type static fields, once looked up (see <see cref="Walker"/>).</summary>
    public StaticField[]? Statics { get; set; }

    /// <summary>Its thread-static fields that hold references, once looked up; empty when it has none.</summary>
    public ThreadStaticField[]? ThreadStatics { get; set; }

    /// <summary>For an async method's box: where it keeps its flags and its state machine, once looked up.</summary>
    public BoxShape? Box { get; set; }

    /// <summary>For an async method's state machine (a class in Debug builds): where it keeps its state and awaiters, once looked up.</summary>
    public StateMachineShape? StateMachine { get; set; }
}

/// <summary>
/// Where an async method's box (<c>AsyncStateMachineBox&lt;TResult, TStateMachine&gt;</c>) keeps its task flags and its state
/// machine, as offsets from the box's address; <see cref="Inline"/> when the state machine is a struct stored in the box.
/// </summary>
internal sealed record BoxShape(int FlagsOffset, int StateMachineOffset, StateMachineShape? Inline)
{
    /// <summary>A box whose state machine cannot be found (the runtime's layout changed, or its type cannot be read).</summary>
    public static readonly BoxShape Unreadable = new(-1, -1, null);

    public static BoxShape Learn(ClrType? box)
    {
        var machine = box?.GetFieldByName("StateMachine");
        if (machine?.Type is null)
        {
            return Unreadable;
        }

        var flags = box!.GetFieldByName("m_stateFlags");
        return new BoxShape(flags is null ? -1 : Offset(flags, interior: false), Offset(machine, interior: false),
            machine.IsValueType ? StateMachineShape.Learn(machine.Type, interior: true) : null);
    }

    /// <summary>Where <paramref name="field"/> is, from the address of its container (an object, or a struct's first field).</summary>
    public static int Offset(ClrInstanceField field, bool interior)
    {
        const ulong container = 0x10000;
        return (int)(field.GetAddress(container, interior) - container);
    }
}

/// <summary>
/// An async method's state machine: its name and assembly, where it keeps its state (<c>&lt;&gt;1__state</c>, -1 when it has
/// none) and where its awaiters keep the references to what they await, in field order.
/// </summary>
internal sealed record StateMachineShape(string? Name, string Module, int StateOffset, int[] AwaiterReferences)
{
    public static StateMachineShape Learn(ClrType? type, bool interior)
    {
        if (type?.Name is null)
        {
            return new StateMachineShape(null, "", -1, []);
        }

        var state = type.GetFieldByName("<>1__state");
        var references = new List<int>();
        foreach (var awaiter in type.Fields.Where(f => f.Name?.StartsWith("<>u__", StringComparison.Ordinal) == true))
        {
            References(awaiter, 0, interior, depth: 0, references);
        }

        return new StateMachineShape(type.Name, Facts.ModuleName(type.Module), state is null ? -1 : BoxShape.Offset(state, interior), [.. references]);
    }

    // An awaiter is a reference or a struct (TaskAwaiter, ValueTaskAwaiter, ConfiguredTaskAwaiter, ...) that holds what is
    // awaited somewhere inside it: every reference slot in it, depth first, in field order; the first non-null one is it.
    private static void References(ClrInstanceField field, int container, bool interior, int depth, List<int> into)
    {
        var at = container + BoxShape.Offset(field, interior);
        if (field.IsObjectReference)
        {
            into.Add(at);
        }
        else if (field.IsValueType && depth <= 3 && field.Type is not null)
        {
            foreach (var inner in field.Type.Fields)
            {
                References(inner, at, interior: true, depth + 1, into);
            }
        }
    }
}

/// <summary>A reference-type static field and, once its type is initialized, the address of its slot (which never moves).</summary>
internal sealed class StaticField(string typeName, string name)
{
    public string Name { get; } = name;

    public string Description { get; } = $"static {TypeNames.Short(typeName)}.{name}";

    public ulong Slot { get; set; }
}

/// <summary>A <c>[ThreadStatic]</c> field that is not a primitive: each thread has its own slot, at <see cref="Offset"/> in that thread's storage for the type.</summary>
/// <param name="Name">The field's name.</param>
/// <param name="Description">How a retention path names it, before the thread: <c>[ThreadStatic] Type.field</c>.</param>
/// <param name="Offset">Where the slot is in the type's per-thread storage. A struct is kept there boxed, so the slot holds a reference too.</param>
internal sealed record ThreadStaticField(string Name, string Description, int Offset);
