using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;

namespace HeapAssert;

/// <summary>
/// The test-process side: starts the helper process, keeps it between snapshots, and turns every failure to snapshot
/// into a <see cref="SnapshotUnavailableException"/> that names the real cause.
/// </summary>
/// <remarks>
/// A snapshot is tried up to <see cref="MaxAttempts"/> times; between two attempts the process runs again. A helper that
/// crashes (the runtime's data-access library can crash on the stack of a thread that is busy throwing, for one) is
/// replaced. A stack walk that was under way when the helper crashed is tried once more; after that it is left out, and
/// the snapshot says so in <see cref="SnapshotData.LeftOut"/>.
/// </remarks>
internal sealed class AgentClient : IDisposable
{
    public const int MaxAttempts = 8;
    private static readonly TimeSpan s_answerLimit = TimeSpan.FromSeconds(60);
    private static readonly Lazy<AgentClient> s_shared = new(() => new AgentClient(Environment.ProcessId));

    private readonly int _target;
    private readonly string _agentFile;
    private readonly string[] _agentArguments;
    private Helper? _helper;

    /// <param name="target">The process to snapshot.</param>
    /// <param name="agent">The helper's command line; by default this assembly run with <c>--agent</c>.</param>
    public AgentClient(int target, (string File, string[] Arguments)? agent = null)
    {
        _target = target;
        // The helper is this very assembly, run as a program from where it was loaded (a package folder too).
        (_agentFile, _agentArguments) = agent ?? (DotnetHost(), [.. HelperHost.ExecArguments(typeof(AgentClient).Assembly.Location), "--agent", target.ToString()]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    /// <summary>The client every snapshot of this process goes through (see <see cref="Replace"/>).</summary>
    public static AgentClient Shared => s_replacement ?? s_shared.Value;

    private static AgentClient? s_replacement;

    /// <summary>
    /// For the engine's own tests: snapshots go through <paramref name="client"/> (a helper that feigns a failure, say)
    /// until the result is disposed.
    /// </summary>
    internal static IDisposable Replace(AgentClient client)
    {
        s_replacement = client;
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        public void Dispose() => s_replacement = null;
    }

    /// <param name="method">Attach, or write a dump and read that.</param>
    /// <param name="addresses">Whether the snapshot must carry every object's address (<see cref="SnapshotData.ObjectAddresses"/>; empty otherwise).</param>
    public SnapshotData Snapshot(SnapshotMethod method, bool addresses = false)
    {
        lock (this)
        {
            var crashed = new Dictionary<string, (string Label, int Times)>();
            var started = Stopwatch.StartNew();
            Answer? answer = null;
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                // The first retry walks everything again; from then on, every stack walk that crashed the helper is left out.
                var skip = attempt > 2 ? crashed.Keys.ToArray() : [];
                var asked = Stopwatch.GetTimestamp();
                string[] options = addresses ? [Agent.WithAddresses, .. skip] : skip;
                answer = method == SnapshotMethod.Attach ? Ask("attach", options) : AskWithDump(options);
                switch (answer.Status)
                {
                    case AgentStatus.Done:
                        return answer.Data!.WithLeftOut(skip.Select(key => LeftOut(key, crashed[key].Label, crashed[key].Times)))
                            .WithTimings([new Timing("test process: the request, from sending it to the last byte read", Stopwatch.GetElapsedTime(asked).TotalMilliseconds, double.NaN)]);
                    case AgentStatus.AttachFailed:
                        throw new SnapshotUnavailableException($"the helper could not attach to this process: {answer.Error}", Fixes.ForAttach);
                    case AgentStatus.NotSupported:
                        throw new PlatformNotSupportedException(answer.Error);
                    case AgentStatus.DumpUnreadable:
                        throw new SnapshotUnavailableException($"the helper could not load the heap dump: {answer.Error}", Fixes.General);
                    case null when answer.Walking.Length > 0:
                        var times = crashed.GetValueOrDefault(answer.Walking).Times;
                        crashed[answer.Walking] = (answer.WalkingLabel, times + 1);
                        break;
                    default:
                        Thread.Sleep(20 * attempt); // let the process run: a collection in progress finishes, a busy thread moves on
                        break;
                }
            }

            throw answer!.Status switch
            {
                AgentStatus.NotWalkable => new SnapshotUnavailableException(
                    $"the heap was not walkable at any of {MaxAttempts} attempts in {started.Elapsed.TotalSeconds:0.0} s: a garbage collection was in progress each time the process was suspended.",
                    Fixes.Busy),
                AgentStatus.WalkFailed => new SnapshotUnavailableException(
                    $"the helper failed while walking the heap, at each of {MaxAttempts} attempts: {answer.Error}", Fixes.Crash),
                _ => new SnapshotUnavailableException(
                    $"the helper crashed while walking the heap: {answer.Crash}, at each of {MaxAttempts} attempts"
                    + (answer.Walking.Length > 0 ? $" (the last while walking the stack of {answer.WalkingLabel})." : "."),
                    Fixes.Crash),
            };
        }
    }

    private static string LeftOut(string key, string label, int times) => key.StartsWith("roots ", StringComparison.Ordinal)
        ? $"the stack roots of {label}: the runtime's data-access library crashed the helper {times} time{(times == 1 ? "" : "s")} while walking that stack, so objects that only its locals hold are not in this snapshot"
        : $"the stack trace of {label}: the runtime's data-access library crashed the helper {times} time{(times == 1 ? "" : "s")} while walking it, so that thread is missing from the thread list";

    private Answer AskWithDump(IReadOnlyList<string> skip)
    {
        var path = Path.Combine(Path.GetTempPath(), $"heapassert-{_target}-{Guid.NewGuid():N}.dmp");
        try
        {
            try
            {
                new DiagnosticsClient(_target).WriteDump(DumpType.WithHeap, path, logDumpGeneration: false);
            }
            catch (Exception e) when (e is ServerNotAvailableException or ServerErrorException or UnsupportedCommandException or IOException or TimeoutException)
            {
                var disabled = Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics") == "0" || Environment.GetEnvironmentVariable("COMPlus_EnableDiagnostics") == "0";
                throw new SnapshotUnavailableException(
                    disabled && _target == Environment.ProcessId
                        ? "diagnostics are disabled in this process (DOTNET_EnableDiagnostics=0), so the runtime cannot write a heap dump."
                        : $"the runtime could not write a heap dump of this process ({e.GetType().Name}: {e.Message}).",
                    Fixes.ForDump);
            }

            return Ask("dump " + path, skip);
        }
        finally
        {
            File.Delete(path); // the helper deletes it too; this covers a helper that died first
        }
    }

    private Answer Ask(string request, IReadOnlyList<string> skip)
    {
        if (_helper is { HasExited: true })
        {
            _helper.Dispose(); // it died between two snapshots: start another
            _helper = null;
        }

        _helper ??= new Helper(_agentFile, _agentArguments);
        var answer = _helper.Ask(string.Join('|', skip.Prepend(request)), s_answerLimit);
        if (answer.Status is null)
        {
            _helper.Dispose();
            _helper = null;
        }

        return answer;
    }

    public void Dispose()
    {
        lock (this)
        {
            _helper?.Dispose();
            _helper = null;
        }
    }

    internal static string DotnetHost()
    {
        // The runtime directory is <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
    }

    /// <summary>What the helper answered. <see cref="Status"/> is null when it ended (or was stopped) without answering: see <see cref="Crash"/>.</summary>
    private sealed record Answer(AgentStatus? Status, SnapshotData? Data, string Error, string Walking, string WalkingLabel, string Crash);

    /// <summary>One helper process.</summary>
    private sealed class Helper : IDisposable
    {
        private readonly Process _process;
        private readonly BinaryReader _reader;
        private readonly StringBuilder _stderr = new();

        public Helper(string file, string[] arguments)
        {
            var start = new ProcessStartInfo(file, arguments)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            _process = Process.Start(start) ?? throw new SnapshotUnavailableException($"could not start the HeapAssert helper process ({file}).", Fixes.General);
            _process.ErrorDataReceived += (_, e) =>
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            };
            _process.BeginErrorReadLine();
            _reader = new BinaryReader(new BufferedStream(_process.StandardOutput.BaseStream, 1 << 16));
            AllowToTrace(_process.Id);
        }

        public bool HasExited => _process.HasExited;

        public Answer Ask(string request, TimeSpan limit)
        {
            var walking = ("", "");
            var reading = Task.Run(() =>
            {
                _process.StandardInput.WriteLine(request);
                _process.StandardInput.Flush();
                while (true)
                {
                    var status = (AgentStatus)_reader.ReadByte();
                    switch (status)
                    {
                        case AgentStatus.Walking:
                            walking = (_reader.ReadString(), _reader.ReadString());
                            break;
                        case AgentStatus.Done:
                            var data = SnapshotData.Read(_reader);
                            return new Answer(status, data.WithTimings(SnapshotData.ReadTimings(_reader)), "", "", "", "");
                        default:
                            return new Answer(status, null, _reader.ReadString(), walking.Item1, walking.Item2, "");
                    }
                }
            });

            try
            {
                if (reading.Wait(limit))
                {
                    return reading.Result;
                }

                Kill();
                return new Answer(null, null, "", walking.Item1, walking.Item2, $"it did not answer within {limit.TotalSeconds:0} s and was stopped");
            }
            catch (AggregateException e) when (e.InnerException is EndOfStreamException or IOException)
            {
                _process.WaitForExit(5_000);
                _process.WaitForExit(); // and let its stderr be read to the end
                return new Answer(null, null, "", walking.Item1, walking.Item2, Ended(_process.ExitCode) + Stderr());
            }
        }

        private string Stderr()
        {
            lock (_stderr)
            {
                var text = _stderr.ToString().Trim();
                return text.Length == 0 ? "" : $"; its error output: {text}";
            }
        }

        private static string Ended(int exitCode) => exitCode is > 128 and < 160 && !OperatingSystem.IsWindows()
            ? $"it was ended by signal {(exitCode - 128) switch { 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM", var n => $"{n}" }} (exit code {exitCode})"
            : $"it exited with code {exitCode} without answering";

        private void Kill()
        {
            try
            {
                _process.Kill();
                _process.WaitForExit(5_000);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.StandardInput.Close();
                    if (!_process.WaitForExit(2_000))
                    {
                        Kill();
                    }
                }
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // already gone
            }

            _process.Dispose();
        }
    }

    // Linux with Yama (ptrace_scope = 1, the Ubuntu default) lets a process trace only its descendants.
    // The helper is our child, so this process must name it as its tracer, as the runtime does for createdump.
    private static void AllowToTrace(int helperPid)
    {
        if (OperatingSystem.IsLinux())
        {
            const int PR_SET_PTRACER = 0x59616d61;
            _ = prctl(PR_SET_PTRACER, (nuint)helperPid, 0, 0, 0);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}

internal static class Fixes
{
    public const string ForAttach =
        "The snapshot attaches to this process with ptrace. Inside a container, allow it: `docker run --cap-add=SYS_PTRACE ...` " +
        "(Kubernetes: securityContext.capabilities.add: [\"SYS_PTRACE\"]). On a Linux host, check `cat /proc/sys/kernel/yama/ptrace_scope`: " +
        "0 or 1 work, 2 needs root, 3 forbids it (`sudo sysctl kernel.yama.ptrace_scope=1`). A debugger already attached to the test also blocks it.";

    public const string ForDump =
        "The dump is written by the runtime's diagnostics server. Diagnostics must be enabled: unset DOTNET_EnableDiagnostics " +
        "(or set it to 1) for test runs. The runtime's `createdump` must exist next to libcoreclr (it ships with every .NET runtime) and, " +
        "in a container, needs the same ptrace permission (`--cap-add=SYS_PTRACE`).";

    public const string Crash =
        "Your setup is fine: the helper that reads the heap failed, in the runtime's data-access library or in HeapAssert. " +
        "Run the test again; if it keeps failing, report it with this message.";

    public const string Busy =
        "The process kept collecting garbage: a thread that allocates without pause forces collection after collection. " +
        "Let the code under test finish (or stop it) before the heap is checked.";

    public const string General = "Run the test again; if it persists, run `dotnet build` and check that HeapAssert.dll sits next to the test assembly.";
}
