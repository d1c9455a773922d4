using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;

namespace HeapAssert;

/// <summary>
/// The test-process side: starts the helper once, keeps it for the life of the process, and turns every failure
/// to snapshot into a <see cref="SnapshotUnavailableException"/> that says why and what to do.
/// </summary>
internal sealed class AgentClient : IDisposable
{
    private static readonly TimeSpan s_answerLimit = TimeSpan.FromMinutes(2);
    private static readonly Lazy<AgentClient> s_shared = new(() => new AgentClient());

    private readonly Process _process;
    private readonly BinaryReader _reader;
    private readonly StringBuilder _stderr = new();

    private AgentClient()
    {
        // The helper is this very assembly, run as a program from where it was loaded.
        var dll = typeof(AgentClient).Assembly.Location;

        var start = new ProcessStartInfo(DotnetHost(), [.. HelperHost.ExecArguments(dll), "--agent", Environment.ProcessId.ToString()])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new SnapshotUnavailableException("could not start the HeapAssert helper process.", "Check that the dotnet host can run " + dll);
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
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public static AgentClient Shared => s_shared.Value;

    public SnapshotData Snapshot(SnapshotMethod method)
    {
        lock (this)
        {
            return method == SnapshotMethod.Attach ? Request("attach", null) : SnapshotFromDump();
        }
    }

    private SnapshotData SnapshotFromDump()
    {
        var path = Path.Combine(Path.GetTempPath(), $"heapassert-{Environment.ProcessId}-{Guid.NewGuid():N}.dmp");
        try
        {
            try
            {
                new DiagnosticsClient(Environment.ProcessId).WriteDump(DumpType.WithHeap, path, logDumpGeneration: false);
            }
            catch (Exception e) when (e is ServerNotAvailableException or ServerErrorException or UnsupportedCommandException or IOException or TimeoutException)
            {
                var disabled = Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics") == "0" || Environment.GetEnvironmentVariable("COMPlus_EnableDiagnostics") == "0";
                throw new SnapshotUnavailableException(
                    disabled
                        ? "diagnostics are disabled in this process (DOTNET_EnableDiagnostics=0), so the runtime cannot write a heap dump."
                        : $"the runtime could not write a heap dump of this process ({e.Message}).",
                    Fixes.ForDump);
            }

            return Request("dump " + path, path);
        }
        finally
        {
            File.Delete(path); // the helper deletes it too; this covers a helper that died first
        }
    }

    private SnapshotData Request(string line, string? dumpPath)
    {
        if (_process.HasExited)
        {
            throw new SnapshotUnavailableException($"the HeapAssert helper process has exited (code {_process.ExitCode}). {Stderr()}", Fixes.General);
        }

        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
        var answer = Task.Run(ReadAnswer);
        if (!answer.Wait(s_answerLimit))
        {
            Dispose();
            throw new SnapshotUnavailableException($"the HeapAssert helper did not answer within {s_answerLimit.TotalSeconds:0} s.", Fixes.General);
        }

        var (status, data, error) = answer.GetAwaiter().GetResult();
        return status switch
        {
            0 => data!,
            2 => throw new PlatformNotSupportedException(error),
            _ when dumpPath is null => throw new SnapshotUnavailableException($"the helper could not attach to this process: {error}", Fixes.ForAttach),
            _ => throw new SnapshotUnavailableException($"the helper could not read the heap dump: {error}", Fixes.ForDump),
        };
    }

    private (byte Status, SnapshotData? Data, string? Error) ReadAnswer()
    {
        try
        {
            var status = _reader.ReadByte();
            return status == 0 ? (status, SnapshotData.Read(_reader), null) : (status, null, _reader.ReadString());
        }
        catch (EndOfStreamException)
        {
            _process.WaitForExit(5_000);
            return (1, null, $"the helper process ended while answering. {Stderr()}");
        }
    }

    private string Stderr()
    {
        lock (_stderr)
        {
            return _stderr.ToString().Trim();
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
                    _process.Kill();
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // already gone
        }
    }

    private static string DotnetHost()
    {
        // The runtime directory is <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
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

    public const string General = "Run the test again; if it persists, run `dotnet build` and check that HeapAssert.dll sits next to the test assembly.";
}
