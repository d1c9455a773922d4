using System.Diagnostics;
using System.Reflection;

namespace NotebookRunner.Tests;

/// <summary>
/// The workshop's notebooks #r assemblies straight from their build folders. This runs the real runner as its own
/// process (as `dotnet run --project tools/NotebookRunner` does), so nothing is found through the test's own folder.
/// </summary>
public sealed class ReferencedAssemblyTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task HeapAssert_loads_from_its_build_folder_with_its_dependencies_and_takes_a_snapshot()
    {
        var root = RepositoryRoot();
        var configuration = typeof(ReferencedAssemblyTests).Assembly
            .GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var runner = Path.Combine(root, "tools", "NotebookRunner", "bin", configuration, "net10.0", "NotebookRunner.dll");
        var heapAssert = Path.Combine(root, "tools", "HeapAssert", "bin", configuration, "net10.0", "HeapAssert.dll");
        File.Exists(runner).Should().BeTrue($"the build puts the runner at {runner}");
        File.Exists(heapAssert).Should().BeTrue($"the build puts HeapAssert at {heapAssert}");

        using var notebook = TempNotebook.Create(directory =>
        [
            ("cs", $$"""
                #r "{{Path.GetRelativePath(directory, heapAssert).Replace('\\', '/')}}"
                using HeapAssert;
                class Entry { public byte[] Payload = new byte[64]; }
                var kept = Enumerable.Range(0, 25).Select(_ => new Entry()).ToList();
                """),
            ("cs", "Heap.Snapshot().Objects<Entry>().Count"),
        ]);

        var (exitCode, stdout, stderr) = await RunAsync(runner, notebook.Path);

        exitCode.Should().Be(0, $"the notebook should run; stderr:\n{stderr}\nstdout:\n{stdout}");
        stdout.Should().Contain("=> 25");
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
