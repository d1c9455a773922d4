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
    /// Runs the kata's tests, as <c>dotnet test --filter Kata=&lt;kata&gt;</c> does (with
    /// <c>-p:UseSolutions=true</c> against the solution), and returns a short summary: one line per test and the
    /// message of every failure.
    /// </summary>
    public static string DotnetTest(string kata, bool solution)
    {
        ArgumentException.ThrowIfNullOrEmpty(kata);
        var project = TestProjectOf(kata);
        var name = Path.GetFileName(project);
        var dll = $"{project}/bin/{(solution ? "solutions/" : "")}Debug/net10.0/{name}.dll";
        var upToDate = !Workshop.IsStale(dll, project, $"{(solution ? "solutions" : "katas")}/{kata}", "tools/HeapAssert");
        var arguments = $"test {project} --filter Kata={kata} --logger \"console;verbosity=normal\""
            + (solution ? " -p:UseSolutions=true" : "")
            + (upToDate ? " --no-build" : ""); // a build that is newer than every source it comes from needs no rebuild
        var command = $"dotnet test {project} --filter Kata={kata}" + (solution ? " -p:UseSolutions=true" : "");
        return RunCache.GetOrRun($"test-{kata}-{(solution ? "solutions" : "katas")}", dll, () =>
        {
            var result = Execute("dotnet", arguments, s_defaultLimit);
            return TestSummary.Summarize(command, result.Output, result.ExitCode, result.TimedOut);
        });
    }

    internal static ProcessResult Execute(string file, string arguments, TimeSpan limit)
    {
        var start = new ProcessStartInfo(file == "dotnet" ? DotnetHost() : file, arguments)
        {
            WorkingDirectory = Workshop.Root,
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
