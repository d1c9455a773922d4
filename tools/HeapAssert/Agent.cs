using Microsoft.Diagnostics.Runtime;

namespace HeapAssert;

/// <summary>
/// The helper process: <c>HeapAssert.dll --agent &lt;pid&gt;</c>. It reads one request per line on stdin
/// (<c>attach</c>, or <c>dump &lt;path&gt;</c>) and answers each with a status byte and a serialized snapshot
/// (or an error text) on stdout. It ends when stdin closes, which is also what happens when the test process dies.
/// </summary>
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
        while (Console.In.ReadLine() is { } request)
        {
            try
            {
                var data = request.StartsWith("dump ", StringComparison.Ordinal) ? FromDump(request[5..]) : FromLiveProcess(pid);
                output.Write((byte)0);
                data.Write(output);
            }
            catch (Exception e)
            {
                output.Write((byte)(e is PlatformNotSupportedException ? 2 : 1));
                output.Write($"{e.GetType().Name}: {e.Message}");
            }

            output.Flush();
        }

        return 0;
    }

    private static SnapshotData FromLiveProcess(int pid)
    {
        // suspend: true stops every thread of the test process for the length of the walk, which is also what
        // makes caching its memory safe.
        using var attached = DataTarget.AttachToProcess(pid, suspend: true);
        using var cached = new DataTarget(new CachingReader(attached.DataReader), new DataTargetOptions());
        return WalkFirstRuntime(cached);
    }

    private static SnapshotData FromDump(string path)
    {
        try
        {
            using var target = DataTarget.LoadDump(path);
            return WalkFirstRuntime(target);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static SnapshotData WalkFirstRuntime(DataTarget target)
    {
        var clr = target.ClrVersions.FirstOrDefault()
            ?? throw new InvalidOperationException("No .NET runtime found in the target.");
        using var runtime = LocalDac.CreateRuntime(clr);
        return Walker.Walk(runtime);
    }
}
