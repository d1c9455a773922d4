using System.Diagnostics;
using System.Reflection;

namespace NotebookRunner.Tests;

/// <summary>
/// The workshop's notebooks #r assemblies straight from their build folders. This runs the real runner as its own
/// process (as `dotnet run --project tools/NotebookRunner` does), so nothing is found through the test's own folder:
/// the kernel must load HeapAssert and NotebookKit with their dependencies, native ones included, and format their
/// results in both the forms a notebook stores.
/// </summary>
public sealed class ReferencedAssemblyTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task HeapAssert_and_NotebookKit_load_from_their_build_folders_take_a_snapshot_and_draw_a_chart()
    {
        var root = RepositoryRoot();
        var configuration = typeof(ReferencedAssemblyTests).Assembly
            .GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var runner = Path.Combine(root, "tools", "NotebookRunner", "bin", configuration, "net10.0", "NotebookRunner.dll");
        var heapAssert = Path.Combine(root, "tools", "HeapAssert", "bin", configuration, "net10.0", "HeapAssert.dll");
        var notebookKit = Path.Combine(root, "tools", "NotebookKit", "bin", configuration, "net10.0", "NotebookKit.dll");
        File.Exists(runner).Should().BeTrue($"the build puts the runner at {runner}");
        File.Exists(heapAssert).Should().BeTrue($"the build puts HeapAssert at {heapAssert}");

        using var notebook = TempNotebook.Create(directory =>
        [
            ("cs", $$"""
                #r "{{Path.GetRelativePath(directory, heapAssert).Replace('\\', '/')}}"
                #r "{{Path.GetRelativePath(directory, notebookKit).Replace('\\', '/')}}"
                using HeapAssert;
                using NotebookKit;
                class Entry { public byte[] Payload = new byte[64]; }
                var kept = Enumerable.Range(0, 25).Select(_ => new Entry()).ToList();
                """),
            ("cs", "Heap.Snapshot().Objects<Entry>()"),
            ("cs", "var chart = Chart.Lines(\"kept\", \"step\", \"entries\", new ChartSeries(\"entries\", [(1, 10), (2, 25)]));\ndisplay(chart.Svg.StartsWith(\"<svg\"));\nchart"),
        ]);

        var (exitCode, stdout, stderr) = await RunAsync(runner, notebook.Path);

        exitCode.Should().Be(0, $"the notebook should run; stderr:\n{stderr}\nstdout:\n{stdout}");
        stdout.Should().Contain("=> 25 live Submission#1+Entry (", "a class declared in a cell is nested in the kernel's submission class");
        stdout.Should().Contain("True").And.Contain("2       25", "a chart shows its table where HTML is not shown");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string runner, string notebook)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(runner);
        start.ArgumentList.Add(notebook);
        start.Environment["NO_COLOR"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"The runner did not finish within {Limit}: {await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "tools", "NotebookRunner", "NotebookRunner.csproj")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No repository root above {AppContext.BaseDirectory}.");
    }
}
