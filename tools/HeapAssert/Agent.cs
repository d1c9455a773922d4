using System.Reflection;
using Microsoft.Diagnostics.Runtime;
using Microsoft.Diagnostics.Runtime.AbstractDac;

namespace HeapAssert;

/// <summary>
/// The helper process: <c>HeapAssert.dll --agent &lt;pid&gt;</c>. It reads one request per line on stdin and answers
/// each on stdout. It ends when stdin closes, which is also what happens when the test process dies.
/// </summary>
/// <remarks>
/// A request is <c>attach</c> or <c>dump &lt;path&gt;</c>, then, separated by <c>|</c>, the stack walks to leave out
/// (<c>roots 1234</c>, <c>frames 1234</c>: the OS thread id), and <c>+addresses</c> when the answer must carry every
/// object's address. An answer is any number of progress records
/// (<see cref="AgentStatus.Walking"/>, the stack walk about to start, flushed at once so that it survives a crash),
/// then one status byte and either a serialized snapshot followed by the time its steps took, or the error text.
/// </remarks>
internal static class Agent
{
    /// <summary>
    /// A failure to feign, for the engine's own tests of what the test process reports when the heap cannot be walked:
    /// <c>--fault not-walkable</c> (every attempt finds a collection in progress) or <c>--fault walk-throws</c> (every walk
    /// throws). Nothing real provokes these on demand; everything else the helper does stays real.
    /// </summary>
    internal static string Fault { get; private set; } = "";

    /// <summary>In a request, among the stack walks to leave out: send every object's address too.</summary>
    public const string WithAddresses = "+addresses";

    public static int Main(string[] args)
    {
        if (args is not ["--agent", var pidText, .. var rest] || !int.TryParse(pidText, out var pid) || rest is not ([] or ["--fault", "not-walkable" or "walk-throws"]))
        {
            Console.Error.WriteLine("HeapAssert is a library. Its executable is the helper process it starts itself: HeapAssert --agent <pid>.");
            return 2;
        }

        Fault = rest is [_, var fault] ? fault : "";

        WidenPipe();
        using var output = new BinaryWriter(new BufferedStream(Console.OpenStandardOutput(), 1 << 16));
        while (Console.In.ReadLine() is { } line)
        {
            var parts = line.Split('|');
            var skip = parts[1..].ToHashSet();
            var addresses = skip.Remove(WithAddresses);
            void Walking(string key, string label)
            {
                output.Write((byte)AgentStatus.Walking);
                output.Write(key);
                output.Write(label);
                output.Flush();
            }

            try
            {
                var spans = new Spans();
                var data = parts[0].StartsWith("dump ", StringComparison.Ordinal)
                    ? FromDump(parts[0][5..], skip, Walking, spans)
                    : FromLiveProcess(pid, skip, Walking, spans);
                output.Write((byte)AgentStatus.Done);
                (addresses ? data : data.WithoutAddresses()).Write(output);
                spans.Mark("send the snapshot");
                SnapshotData.WriteTimings(output, spans.ToArray());
            }
            catch (AgentException e)
            {
                output.Write((byte)e.Status);
                output.Write(e.Message);
            }
            catch (Exception e)
            {
                output.Write((byte)(e is HeapNotWalkableException ? AgentStatus.NotWalkable : AgentStatus.WalkFailed));
                output.Write($"{e.GetType().Name}: {e.Message}{(e.TargetSite is { } where ? $" (thrown in {where.DeclaringType?.Name}.{where.Name})" : "")}");
            }

            output.Flush();
        }

        return 0;
    }

    // A snapshot is megabytes; a pipe holds 64 KB by default, so the helper would wait for the test process to read
    // every 64 KB. Linux lets a pipe grow to 1 MB (the default limit for unprivileged processes). Best effort.
    private static void WidenPipe()
    {
        if (OperatingSystem.IsLinux())
        {
            const int F_SETPIPE_SZ = 1031;
            _ = fcntl(1, F_SETPIPE_SZ, 1 << 20);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);

    private static SnapshotData FromLiveProcess(int pid, IReadOnlySet<string> skip, Action<string, string> walking, Spans spans)
    {
        DataTarget attached;
        try
        {
            // suspend: true stops every thread of the test process for the length of the walk, which is also what
            // makes caching its memory safe.
            attached = DataTarget.AttachToProcess(pid, suspend: true);
        }
        catch (PlatformNotSupportedException e)
        {
            throw new AgentException(AgentStatus.NotSupported, e.Message);
        }
        catch (Exception e)
        {
            throw new AgentException(AgentStatus.AttachFailed, $"{e.GetType().Name}: {e.Message}");
        }

        spans.Mark("attach and suspend");
        SnapshotData data;
        using (attached)
        {
            try
            {
                var runtime = s_live?.Reopen(attached.DataReader);
                if (runtime is null)
                {
                    s_live?.Dispose();
                    s_live = null;
                    s_live = Live.Open(attached.DataReader);
                    runtime = s_live.Runtime;
                    spans.Mark("open the runtime (DAC)");
                }
                else
                {
                    spans.Mark("flush the runtime's caches");
                }

                data = Walker.Walk(runtime, skip, walking, spans);
            }
            catch (Exception e) when (e is not HeapNotWalkableException)
            {
                // Whatever went wrong, the next snapshot starts from a runtime opened afresh.
                s_live?.Dispose();
                s_live = null;
                throw;
            }
        }

        spans.Mark("detach and resume");
        return data;
    }

    // The runtime of the process this helper serves, opened once (loading the data-access library and reading the
    // runtime's globals takes longer than some snapshots) and flushed before every snapshot but the first.
    private static Live? s_live;

    private sealed class Live : IDisposable
    {
        private readonly CachingReader _reader;
        private readonly DataTarget _target;

        private Live(CachingReader reader, DataTarget target, ClrRuntime runtime)
        {
            _reader = reader;
            _target = target;
            Runtime = runtime;
        }

        public ClrRuntime Runtime { get; }

        public static Live Open(IDataReader attached)
        {
            var reader = new CachingReader(attached);
            var target = new DataTarget(reader, new DataTargetOptions());
            try
            {
                var clr = target.ClrVersions.FirstOrDefault() ?? throw new InvalidOperationException("No .NET runtime found in the target.");
                return new Live(reader, target, LocalDac.CreateRuntime(clr));
            }
            catch
            {
                target.Dispose();
                throw;
            }
        }

        /// <summary>The runtime, reading through a new attachment, its caches emptied; null when it cannot be (then open another).</summary>
        public ClrRuntime? Reopen(IDataReader attached)
        {
            if (!Runtime.CanFlushData)
            {
                return null;
            }

            _reader.Switch(attached);
            Runtime.FlushCachedData();
            return ForgetGCState(Runtime) ? Runtime : null;
        }

        // ClrMD 4.2 keeps what it first learned of the GC's state (whether the heap can be walked among it) in its
        // data-access service, and a flush does not clear it: a heap caught in the middle of a collection would be
        // unwalkable for ever after, and a walkable one walkable even in the middle of a collection. Dropping that
        // service's heap part makes the next look at the heap ask the runtime again. Should ClrMD change its insides,
        // the field is not found and every snapshot opens the runtime afresh instead: slower, never wrong.
        private static bool ForgetGCState(ClrRuntime runtime)
        {
            const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;
            var services = typeof(ClrRuntime).GetField("_services", Private)?.GetValue(runtime);
            var heapPart = services?.GetType().GetField("_heapHelper", Private);
            if (services?.GetType().Name != "DacServiceProvider" || heapPart?.FieldType != typeof(IAbstractHeap))
            {
                return false;
            }

            heapPart.SetValue(services, null);
            return true;
        }

        public void Dispose()
        {
            Runtime.Dispose();
            _target.Dispose();
        }
    }

    private static SnapshotData FromDump(string path, IReadOnlySet<string> skip, Action<string, string> walking, Spans spans)
    {
        try
        {
            DataTarget target;
            try
            {
                target = DataTarget.LoadDump(path);
            }
            catch (Exception e)
            {
                throw new AgentException(AgentStatus.DumpUnreadable, $"{e.GetType().Name}: {e.Message}");
            }

            spans.Mark("load the dump");
            using (target)
            {
                return WalkFirstRuntime(target, skip, walking, spans);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static SnapshotData WalkFirstRuntime(DataTarget target, IReadOnlySet<string> skip, Action<string, string> walking, Spans spans)
    {
        var clr = target.ClrVersions.FirstOrDefault()
            ?? throw new InvalidOperationException("No .NET runtime found in the target.");
        using var runtime = LocalDac.CreateRuntime(clr);
        spans.Mark("open the runtime (DAC)");
        return Walker.Walk(runtime, skip, walking, spans);
    }
}

/// <summary>The first byte of every record the helper writes.</summary>
internal enum AgentStatus : byte
{
    /// <summary>A snapshot follows.</summary>
    Done = 0,

    /// <summary>Attaching to the process failed (permissions, a debugger already attached, the process gone).</summary>
    AttachFailed = 1,

    /// <summary>Live attach is not supported on this OS.</summary>
    NotSupported = 2,

    /// <summary>Progress: the key and label of the stack walk about to start (an empty key: the stack walks are over).</summary>
    Walking = 3,

    /// <summary>A garbage collection was in progress: try again after letting the process run.</summary>
    NotWalkable = 4,

    /// <summary>Walking the heap threw.</summary>
    WalkFailed = 5,

    /// <summary>The heap dump could not be loaded.</summary>
    DumpUnreadable = 6,
}

internal sealed class AgentException(AgentStatus status, string message) : Exception(message)
{
    public AgentStatus Status { get; } = status;
}
