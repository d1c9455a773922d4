using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace HeapAssert;

/// <summary>
/// Reads a suspended process's memory a page at a time and keeps the pages. A heap walk reads every object with
/// a few tiny reads; against a live process each would be a system call. The process cannot change while it is
/// suspended, so caching is safe for the length of one snapshot.
/// </summary>
/// <remarks>
/// The helper keeps one reader, and the runtime opened over it, from one snapshot to the next: each snapshot attaches
/// anew and hands the reader the new attachment (<see cref="Switch"/>), which also forgets every page.
/// </remarks>
internal sealed class CachingReader(IDataReader inner) : IDataReader
{
    private const int PageSize = 64 * 1024;
    private readonly Dictionary<ulong, byte[]?> _pages = [];
    private readonly Stack<byte[]> _spare = new();
    private IDataReader _inner = inner;
    private ulong _lastStart = ulong.MaxValue;
    private byte[]? _lastPage;

    public string DisplayName => _inner.DisplayName;

    public bool IsThreadSafe => false;

    public OSPlatform TargetPlatform => _inner.TargetPlatform;

    public Architecture Architecture => _inner.Architecture;

    public int ProcessId => _inner.ProcessId;

    public int PointerSize => _inner.PointerSize;

    /// <summary>Reads from now on through <paramref name="next"/> (a new attachment to the same process), forgetting every page.</summary>
    public void Switch(IDataReader next)
    {
        Forget();
        _inner = next;
    }

    public IEnumerable<ModuleInfo> EnumerateModules() => _inner.EnumerateModules();

    public bool GetThreadContext(uint threadID, uint contextFlags, Span<byte> context) => _inner.GetThreadContext(threadID, contextFlags, context);

    public void FlushCachedData()
    {
        Forget();
        _inner.FlushCachedData();
    }

    public int Read(ulong address, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var at = address + (ulong)done;
            var offset = (int)(at % PageSize);
            if (Page(at - (ulong)offset) is not { } page)
            {
                // Not readable as a whole page (the end of a mapping): read just what was asked.
                return done + _inner.Read(at, buffer[done..]);
            }

            var count = Math.Min(PageSize - offset, buffer.Length - done);
            page.AsSpan(offset, count).CopyTo(buffer[done..]);
            done += count;
        }

        return done;
    }

    /// <summary>Reads straight from the process, leaving the page cache alone (for large reads that are cached elsewhere).</summary>
    public int ReadUncached(ulong address, Span<byte> buffer) => _inner.Read(address, buffer);

    public bool Read<T>(ulong address, out T value) where T : unmanaged
    {
        Span<byte> buffer = stackalloc byte[Unsafe.SizeOf<T>()];
        if (Read(address, buffer) == buffer.Length)
        {
            value = MemoryMarshal.Read<T>(buffer);
            return true;
        }

        value = default;
        return false;
    }

    public T Read<T>(ulong address) where T : unmanaged => Read(address, out T value) ? value : default;

    public bool ReadPointer(ulong address, out ulong value)
    {
        if (PointerSize == 8)
        {
            return Read(address, out value);
        }

        var ok = Read(address, out uint narrow);
        value = narrow;
        return ok;
    }

    public ulong ReadPointer(ulong address) => ReadPointer(address, out var value) ? value : 0;

    private void Forget()
    {
        foreach (var page in _pages.Values)
        {
            if (page is not null)
            {
                _spare.Push(page);
            }
        }

        _pages.Clear();
        (_lastStart, _lastPage) = (ulong.MaxValue, null);
    }

    private byte[]? Page(ulong start)
    {
        // A heap walk reads neighbouring objects one after another: most reads land on the page read last.
        if (start == _lastStart)
        {
            return _lastPage;
        }

        if (!_pages.TryGetValue(start, out var page))
        {
            // Pinned, and kept for the next snapshot: hundreds of pages would otherwise be copied from generation to
            // generation by the helper's own collections.
            var bytes = _spare.Count > 0 ? _spare.Pop() : GC.AllocateUninitializedArray<byte>(PageSize, pinned: true);
            if (_inner.Read(start, bytes) == PageSize)
            {
                page = bytes;
            }
            else
            {
                _spare.Push(bytes);
            }

            _pages[start] = page;
        }

        (_lastStart, _lastPage) = (start, page);
        return page;
    }
}
