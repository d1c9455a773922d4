namespace DisposalInLoops.Tests;

/// <summary>
/// Opens real files for the importer and counts how many of them are open at the same time.
/// The first time more than <c>bound</c> are open, it snapshots the heap to show what keeps them alive; if more than
/// <c>bound</c> are still open when the batch's last file (number <c>batchSize</c>) is opened, it snapshots again to
/// measure what they hold. Thread-safe: an importer may open files from several threads.
/// </summary>
internal sealed class StreamTracker(int bound, int batchSize = int.MaxValue)
{
    private readonly Lock _gate = new();
    private int _open;
    private int _opened;

    public int Open => Volatile.Read(ref _open);

    public int Peak { get; private set; }

    public int Opened => Volatile.Read(ref _opened);

    /// <summary>What the heap showed when the bound was first crossed, or null if it never was.</summary>
    public string? HeldBy { get; private set; }

    /// <summary>How many tracked streams were alive on the heap at that moment.</summary>
    public int AliveAtCrossing { get; private set; }

    /// <summary>
    /// When the batch's last file was opened with more than <c>bound</c> still open: the tracked streams alive then, and
    /// how many bytes more the live heap held than when the bound was first crossed. Null otherwise.
    /// </summary>
    public (ObjectSet Streams, long HeapGrowth)? AtLastFile { get; private set; }

    private long _heapAtCrossing;

    public Stream OpenRead(string path)
    {
        bool first;
        bool firstCrossing;
        bool lastWhileLeaking;
        lock (_gate)
        {
            _open++;
            first = ++_opened == 1;
            Peak = Math.Max(Peak, _open);
            firstCrossing = _open == bound + 1 && HeldBy is null;
            lastWhileLeaking = _opened == batchSize && _open > bound;
        }

        if (firstCrossing)
        {
            // Before this stream exists: every tracked stream on the heap now was opened earlier and is not disposed.
            var heap = Heap.Snapshot();
            AliveAtCrossing = heap.Objects<TrackedFileStream>().Count;

            // The newest streams may also be held by the importer's locals; the batch's first file can only be held by
            // whatever keeps the old ones, so its path is the one that explains the leak. The marker itself is not shown.
            var retention = heap.Objects<FirstFileOfBatch>().ShortestPath();
            HeldBy = retention is null ? "(no retention path found)" : string.Join(" → ", retention.Steps.SkipLast(1).Prepend(retention.Root));
            _heapAtCrossing = heap.TotalBytes;
        }

        if (lastWhileLeaking)
        {
            // Only numbers are kept from the first snapshot, so its own data is not counted in the growth.
            var heap = Heap.Snapshot();
            AtLastFile = (heap.Objects<TrackedFileStream>(), heap.TotalBytes - _heapAtCrossing);
        }

        try
        {
            var stream = new TrackedFileStream(File.OpenRead(path), this);
            if (first)
            {
                stream.Tag = new FirstFileOfBatch();
            }

            return stream;
        }
        catch
        {
            Closed();
            throw;
        }
    }

    private sealed class FirstFileOfBatch;

    internal void Closed()
    {
        lock (_gate)
        {
            _open--;
        }
    }
}

/// <summary>A read-only file stream that tells the tracker when it is disposed.</summary>
internal sealed class TrackedFileStream(FileStream inner, StreamTracker tracker) : Stream
{
    private int _disposed;

    /// <summary>Anything the tracker wants to find on the heap through this stream.</summary>
    public object? Tag { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            inner.Dispose();
            tracker.Closed();
        }

        base.Dispose(disposing);
    }
}
