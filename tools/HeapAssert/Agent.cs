using Microsoft.Diagnostics.Runtime;

namespace HeapAssert;

/// <summary>
/// The helper process: <c>HeapAssert.dll --agent &lt;pid&gt;</c>. It reads one request per line on stdin and answers
/// each on stdout. It ends when stdin closes, which is also what happens when the test process dies.
/// </summary>
/// <remarks>
/// A request is <c>attach</c> or <c>dump &lt;path&gt;</c>, then, separated by <c>|</c>, the stack walks to leave out
/// (<c>roots 1234</c>, <c>frames 1234</c>: the OS thread id). An answer is any number of progress records
/// (<see cref="AgentStatus.Walking"/>, the stack walk about to start, flushed at once so that it survives a crash),
/// then one status byte and either a serialized snapshot or the error text.
/// </remarks>
internal static class Agent
{
    public static int Main(string[] args)
    {
        if (args is not ["--agent", var pidText] || !int.TryParse(pidText, out var pid))
        {
            Console.Error.WriteLine("HeapAssert is a library. Its executable is the helper process it starts itself: HeapAssert --agent <pid>.");
            return 2;
        }

        using var output = new BinaryWriter(new BufferedStream(Console.OpenStandardOutput(), 1 << 16));
        while (Console.In.ReadLine() is { } line)
        {
            var parts = line.Split('|');
            var skip = parts[1..].ToHashSet();
            void Walking(string key, string label)
            {
                output.Write((byte)AgentStatus.Walking);
                output.Write(key);
                output.Write(label);
                output.Flush();
            }

            try
            {
                var data = parts[0].StartsWith("dump ", StringComparison.Ordinal)
                    ? FromDump(parts[0][5..], skip, Walking)
                    : FromLiveProcess(pid, skip, Walking);
                output.Write((byte)AgentStatus.Done);
                data.Write(output);
            }
            catch (AgentException e)
            {
                output.Write((byte)e.Status);
                output.Write(e.Message);
            }
            catch (Exception e)
            {
                output.Write((byte)(e is HeapNotWalkableException ? AgentStatus.NotWalkable : AgentStatus.WalkFailed));
                output.Write($"{e.GetType().Name}: {e.Message}");
            }

            output.Flush();
        }

        return 0;
    }

    private static SnapshotData FromLiveProcess(int pid, IReadOnlySet<string> skip, Action<string, string> walking)
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

        using (attached)
        {
            using var cached = new DataTarget(new CachingReader(attached.DataReader), new DataTargetOptions());
            return WalkFirstRuntime(cached, skip, walking);
        }
    }

    private static SnapshotData FromDump(string path, IReadOnlySet<string> skip, Action<string, string> walking)
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

            using (target)
            {
                return WalkFirstRuntime(target, skip, walking);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static SnapshotData WalkFirstRuntime(DataTarget target, IReadOnlySet<string> skip, Action<string, string> walking)
    {
        var clr = target.ClrVersions.FirstOrDefault()
            ?? throw new InvalidOperationException("No .NET runtime found in the target.");
        using var runtime = LocalDac.CreateRuntime(clr);
        return Walker.Walk(runtime, skip, walking);
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
