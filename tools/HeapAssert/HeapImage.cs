using System.Buffers;
using Microsoft.Diagnostics.Runtime;

namespace HeapAssert;

/// <summary>
/// The GC heap of a suspended process as the walk reads it: which objects it has already reached (a bit per
/// pointer-sized slot of every segment, not a hash set), and the bytes of every small segment it touches, read in one
/// piece the first time the walk needs an object in it, so that reading an object afterwards is an array index.
/// </summary>
/// <remarks>
/// .NET's GC keeps its objects in regions of a few megabytes; after the full collection that starts every snapshot most
/// of what they hold is alive, and the walk reads nearly all of it, so reading regions whole costs one system call per
/// region instead of one per page. Segments larger than <see cref="WholeSegmentLimit"/> (large-object regions holding a big
/// array, segments of the older segment-based GC) are read object by object through the page cache, and addresses
/// outside every segment (the frozen heap of string literals is one; a corrupt reference another) are remembered in a
/// hash set. Buffers come from and go back to a pool, so a helper that takes snapshot after snapshot reuses them.
/// </remarks>
internal sealed class HeapImage : IDisposable
{
    private const int WholeSegmentLimit = 8 << 20;
    private const int UnitShift = 22; // regions are 4 MB apart: one table entry per 4 MB of address space

    private readonly IDataReader _memory;
    private readonly Segment[] _segments; // by start address
    private readonly int _slotShift;
    private readonly ulong _low;
    private readonly ulong _span;
    private readonly int[] _units; // segment index, -1 for none, -2 for more than one
    private readonly HashSet<ulong> _elsewhere = [];

    public HeapImage(ClrHeap heap, IDataReader memory)
    {
        _memory = memory;
        _slotShift = memory.PointerSize == 8 ? 3 : 2;
        _segments = [.. heap.Segments.Where(s => s.ObjectRange.Length > 0).OrderBy(s => s.Start).Select(s => new Segment(s.Start, s.End, _slotShift))];

        // The lookup table covers the address range of the GC proper; the frozen heap usually lies far away, and an address
        // outside the table, or in an entry that two segments share, goes through a binary search.
        var proper = heap.Segments.Where(s => s.Kind != GCSegmentKind.Frozen && s.ObjectRange.Length > 0).ToArray();
        _units = [];
        if (proper.Length > 0)
        {
            _low = proper.Min(s => s.Start) & ~((1UL << UnitShift) - 1);
            _span = proper.Max(s => s.End) - _low;
            var units = (_span >> UnitShift) + 1;
            if (units <= 1 << 20)
            {
                _units = new int[units];
                Array.Fill(_units, -1);
                for (var i = 0; i < _segments.Length; i++)
                {
                    var s = _segments[i];
                    if (s.End <= _low || s.Start >= _low + _span)
                    {
                        continue;
                    }

                    var first = s.Start <= _low ? 0 : (s.Start - _low) >> UnitShift;
                    var last = Math.Min((s.End - 1 - _low) >> UnitShift, (ulong)_units.Length - 1);
                    for (var unit = first; unit <= last; unit++)
                    {
                        _units[unit] = _units[unit] == -1 ? i : -2;
                    }
                }
            }
        }
    }

    /// <summary>Marks <paramref name="address"/> as reached; false when it already was.</summary>
    public bool Mark(ulong address)
    {
        if (SegmentOf(address) is not { } segment)
        {
            return _elsewhere.Add(address);
        }

        var slot = (address - segment.Start) >> _slotShift;
        ref var word = ref segment.Marks[(int)(slot >> 6)];
        var bit = 1UL << (int)(slot & 63);
        if ((word & bit) != 0)
        {
            return false;
        }

        word |= bit;
        return true;
    }

    /// <summary>
    /// The <paramref name="length"/> bytes at <paramref name="address"/>, straight from the segment's image, or copied
    /// into <paramref name="scratch"/> where there is none; empty when they cannot be read.
    /// </summary>
    public ReadOnlySpan<byte> Read(ulong address, int length, ref byte[] scratch)
    {
        if (SegmentOf(address) is { } segment && segment.End - address >= (ulong)length && Image(segment) is { } image)
        {
            return image.AsSpan((int)(address - segment.Start), length);
        }

        if (scratch.Length < length)
        {
            ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(length);
        }

        return _memory.Read(address, scratch.AsSpan(0, length)) == length ? scratch.AsSpan(0, length) : [];
    }

    private Segment? SegmentOf(ulong address)
    {
        var offset = address - _low;
        if (offset < _span && _units.Length > 0)
        {
            var unit = _units[(int)(offset >> UnitShift)];
            if (unit >= 0)
            {
                var s = _segments[unit];
                return address >= s.Start && address < s.End ? s : null;
            }

            if (unit == -1)
            {
                return null;
            }
        }

        // Binary search: the frozen heap, a table entry shared by two segments, or a heap too spread out for a table.
        int lo = 0, hi = _segments.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var s = _segments[mid];
            if (address < s.Start)
            {
                hi = mid - 1;
            }
            else if (address >= s.End)
            {
                lo = mid + 1;
            }
            else
            {
                return s;
            }
        }

        return null;
    }

    private byte[]? Image(Segment segment)
    {
        if (!segment.ImageTried)
        {
            segment.ImageTried = true;
            var length = (int)Math.Min(segment.End - segment.Start, int.MaxValue);
            if (length <= WholeSegmentLimit)
            {
                var bytes = ArrayPool<byte>.Shared.Rent(length);
                if (_memory is CachingReader caching ? caching.ReadUncached(segment.Start, bytes.AsSpan(0, length)) == length : _memory.Read(segment.Start, bytes.AsSpan(0, length)) == length)
                {
                    segment.Image = bytes;
                }
                else
                {
                    ArrayPool<byte>.Shared.Return(bytes);
                }
            }
        }

        return segment.Image;
    }

    public void Dispose()
    {
        foreach (var segment in _segments)
        {
            if (segment.Image is { } image)
            {
                ArrayPool<byte>.Shared.Return(image);
                segment.Image = null;
            }

            ArrayPool<ulong>.Shared.Return(segment.Marks);
        }
    }

    private sealed class Segment
    {
        public Segment(ulong start, ulong end, int slotShift)
        {
            Start = start;
            End = end;
            var words = (int)((((end - start) >> slotShift) + 63) >> 6);
            Marks = ArrayPool<ulong>.Shared.Rent(words);
            Marks.AsSpan(0, words).Clear();
        }

        public ulong Start { get; }

        public ulong End { get; }

        public ulong[] Marks { get; }

        public byte[]? Image { get; set; }

        public bool ImageTried { get; set; }
    }
}
