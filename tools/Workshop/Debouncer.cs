namespace Workshop;

/// <summary>
/// Turns a burst of file events into one check: an editor's save is often several events (a temporary file, a rename, a
/// second write), and a learner may save twice in a second. <see cref="SettleAsync"/> returns once changes have been seen
/// and then none for <c>quiet</c>, or once <c>longest</c> has passed since the first of them (an editor that saves
/// without pause still gets checked).
/// </summary>
public sealed class Debouncer(TimeSpan quiet, TimeSpan longest, TimeProvider time)
{
    public static readonly TimeSpan DefaultQuiet = TimeSpan.FromMilliseconds(300);
    public static readonly TimeSpan DefaultLongest = TimeSpan.FromSeconds(3);

    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _first;
    private long _last;
    private bool _pending;

    public Debouncer()
        : this(DefaultQuiet, DefaultLongest, TimeProvider.System)
    {
    }

    /// <summary>Changes seen since the last <see cref="SettleAsync"/> returned.</summary>
    public bool Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending;
            }
        }
    }

    /// <summary>A file changed, now.</summary>
    public void Signal()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (!_pending)
            {
                _pending = true;
                _first = now;
            }

            _last = now;
            _changed.TrySetResult();
        }
    }

    /// <summary>Completes as soon as a change is pending (at once if one already is).</summary>
    public Task ChangedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Waits for a change, then for the burst it belongs to to end; then nothing is pending any more.</summary>
    public async Task SettleAsync(CancellationToken cancellationToken)
    {
        await ChangedAsync(cancellationToken);
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                var sinceLast = time.GetElapsedTime(_last);
                var sinceFirst = time.GetElapsedTime(_first);
                if (sinceLast >= quiet || sinceFirst >= longest)
                {
                    _pending = false;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    return;
                }

                wait = TimeSpan.FromTicks(Math.Min((quiet - sinceLast).Ticks, (longest - sinceFirst).Ticks));
            }

            await Task.Delay(wait, time, cancellationToken);
        }
    }
}

/// <summary>Watches a kata's folder and tells the debouncer about every change to the learner's code (not to bin/ or obj/).</summary>
public sealed class KataWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly string _directory;
    private readonly Debouncer _debouncer;

    public KataWatcher(string directory, Debouncer debouncer)
    {
        _directory = directory;
        _debouncer = debouncer;
        _watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Changed += (_, e) => Seen(e.FullPath);
        _watcher.Created += (_, e) => Seen(e.FullPath);
        _watcher.Deleted += (_, e) => Seen(e.FullPath);
        _watcher.Renamed += (_, e) =>
        {
            Seen(e.OldFullPath);
            Seen(e.FullPath);
        };
        _watcher.Error += (_, _) => _debouncer.Signal(); // events were lost: check, to be safe
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>The last file of the learner's code seen to change, relative to the kata's folder.</summary>
    public string? LastChange { get; private set; }

    private void Seen(string path)
    {
        var relative = Path.GetRelativePath(_directory, path);
        if (KataFiles.IsRelevant(relative))
        {
            LastChange = relative.Replace('\\', '/');
            _debouncer.Signal();
        }
    }

    public void Dispose() => _watcher.Dispose();
}
