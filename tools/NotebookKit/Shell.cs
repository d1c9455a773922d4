using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace NotebookKit;

/// <summary>Runs commands in the workshop's root folder and returns what they printed.</summary>
public static partial class Shell
{
    private static readonly TimeSpan s_defaultLimit = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> in <see cref="Workshop.Root"/> and returns its
    /// standard output and error, interleaved as they arrived. A non-zero exit code is added as a last line,
    /// and a process that outlives <paramref name="limit"/> (default 10 minutes) is stopped, with a line saying so.
    /// <c>dotnet</c> means the host that runs this notebook.
    /// </summary>
    public static string Run(string file, string arguments, TimeSpan? limit = null)
    {
        var result = Execute(file, arguments, limit ?? s_defaultLimit);
        var text = new StringBuilder(result.Output.TrimEnd());
        if (result.TimedOut)
        {
            text.AppendLine().Append($"[stopped: still running after {(limit ?? s_defaultLimit).TotalSeconds:0} s]");
        }
        else if (result.ExitCode != 0)
        {
            text.AppendLine().Append($"[exit code {result.ExitCode}]");
        }

        return text.ToString();
    }

    /// <summary>
    /// Runs the kata's tests, the ones <c>dotnet test tests/&lt;Project&gt;</c> runs (with <c>-p:UseSolutions=true</c>
    /// against the solution), straight from the test project's build with xunit's own runner, as the workshop's
    /// companion and verification do: <c>dotnet test</c>'s own start-up would double the time. The project is built
    /// first when its build is missing or older than its sources. Returns the command, one line per test, the message
    /// of every failure and the totals, in a stable order and without timings.
    /// </summary>
    public static string RunTests(string kata, bool solution)
    {
        ArgumentException.ThrowIfNullOrEmpty(kata);
        var project = TestProjectOf(kata);
        var name = Path.GetFileName(project);
        var flavour = solution ? "solutions" : "katas";
        var folder = $"{project}/bin/{(solution ? "solutions/" : "")}Debug/net10.0";
        var dll = $"{folder}/{name}.dll";
        var header = $"{project} against the {(solution ? "solution (-p:UseSolutions=true)" : "kata")}, run from its build:"
            + Environment.NewLine + $"$ dotnet exec {name}.dll    (in {folder})";
        if (Workshop.IsStale(dll, project, $"{flavour}/{kata}", "tools/HeapAssert"))
        {
            var build = Execute("dotnet", $"build {project} -nologo -v:q -clp:ErrorsOnly" + (solution ? " -p:UseSolutions=true" : ""), s_defaultLimit);
            if (build.ExitCode != 0 || !File.Exists(Workshop.PathOf(dll)))
            {
                return TestSummary.BuildFailed(header, build.Output);
            }
        }

        var xml = RunCache.GetOrRun(TestRunKey(kata, solution), dll, () =>
        {
            var results = Path.Combine(Path.GetTempPath(), $"workshop-tests-{Guid.NewGuid():N}.xml");
            try
            {
                var run = Execute("dotnet", $"exec {name}.dll -xml \"{results}\" -noColor -noLogo", s_defaultLimit, Workshop.PathOf(folder));
                return File.Exists(results)
                    ? File.ReadAllText(results)
                    : run.TimedOut ? TestSummary.TimedOut : TestSummary.NoResults(run.ExitCode, run.Output);
            }
            finally
            {
                File.Delete(results);
            }
        });
        return TestSummary.Summarize(header, xml);
    }

    /// <summary>
    /// The run cache's key for a kata's test run: the workshop's verification, which has just run the same build's
    /// tests the same way, stores their xunit XML under this key (see <see cref="RunCache"/>).
    /// </summary>
    internal static string TestRunKey(string kata, bool solution) => $"test-{kata}-{(solution ? "solutions" : "katas")}";

    internal static ProcessResult Execute(string file, string arguments, TimeSpan limit, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file == "dotnet" ? DotnetHost() : file, arguments)
        {
            WorkingDirectory = workingDirectory ?? Workshop.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        var output = new StringBuilder();
        var stdout = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data, stdout);
        process.ErrorDataReceived += (_, e) => Append(e.Data, null);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var timedOut = !process.WaitForExit(limit);
        if (timedOut)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended on its own in the meantime.
            }
        }

        process.WaitForExit();
        lock (output)
        {
            return new ProcessResult(output.ToString(), stdout.ToString(), timedOut ? -1 : process.ExitCode, timedOut);
        }

        void Append(string? line, StringBuilder? stream)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
                stream?.AppendLine(line);
            }
        }
    }

    /// <summary>The dotnet host that runs this process, so a child process uses the same SDK and runtimes.</summary>
    internal static string DotnetHost()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        // The runtime directory is <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }

    /// <summary>The test project (relative to the root) whose csproj declares <c>&lt;Kata&gt;kata&lt;/Kata&gt;</c>.</summary>
    private static string TestProjectOf(string kata)
    {
        var tests = Workshop.PathOf("tests");
        foreach (var csproj in Directory.EnumerateFiles(tests, "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (KataProperty().Match(File.ReadAllText(csproj)) is { Success: true } match && match.Groups[1].Value == kata)
            {
                return Path.GetRelativePath(Workshop.Root, Path.GetDirectoryName(csproj)!).Replace('\\', '/');
            }
        }

        throw new ArgumentException($"No test project in tests/ declares <Kata>{kata}</Kata>.", nameof(kata));
    }

    [GeneratedRegex(@"<Kata>\s*([^<\s]+)\s*</Kata>")]
    private static partial Regex KataProperty();
}

internal sealed record ProcessResult(string Output, string StandardOutput, int ExitCode, bool TimedOut);
