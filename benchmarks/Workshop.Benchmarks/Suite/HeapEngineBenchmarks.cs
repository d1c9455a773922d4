using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using HeapAssert;
using Microsoft.Diagnostics.Runtime;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// The heap engine's own speed: one heap assertion's worth of work (full GC, snapshot, count one type) in this very
/// process, next to ClrMD's own way to snapshot a live process, to the engine's dump-file path, and to what a person
/// would run by hand: <c>dotnet-dump collect</c>, then <c>dotnet-dump analyze</c> with <c>dumpheap -stat -type</c>
/// (the version pinned in the repository's tool manifest).
/// The process holds 10,000 objects to count plus 100,000 strings in a dictionary, roughly a busy test's heap.
/// </summary>
[FlavourIndependent]
[FullRun(iterations: 10)]
public class HeapEngineBenchmarks
{
    private static readonly string s_markerName = typeof(Marker).FullName!;
    private object _kept = null!;

    // BenchmarkDotNet runs each benchmark in a process of its own: one setup and one cleanup per benchmark, so that each
    // records the load average of its own run. It runs a generated subclass, so the class is named with typeof, not GetType().
    [GlobalSetup(Target = nameof(EngineAttach))]
    public void SetupAttach() => Setup(nameof(EngineAttach));

    [GlobalSetup(Target = nameof(EngineDump))]
    public void SetupDump() => Setup(nameof(EngineDump));

    [GlobalSetup(Target = nameof(ClrMdSnapshot))]
    public void SetupClrMd() => Setup(nameof(ClrMdSnapshot));

    [GlobalSetup(Target = nameof(DotnetDump))]
    public void SetupDotnetDump() => Setup(nameof(DotnetDump));

    [GlobalCleanup(Target = nameof(EngineAttach))]
    public void CleanupAttach() => Cleanup(nameof(EngineAttach));

    [GlobalCleanup(Target = nameof(EngineDump))]
    public void CleanupDump() => Cleanup(nameof(EngineDump));

    [GlobalCleanup(Target = nameof(ClrMdSnapshot))]
    public void CleanupClrMd() => Cleanup(nameof(ClrMdSnapshot));

    [GlobalCleanup(Target = nameof(DotnetDump))]
    public void CleanupDotnetDump() => Cleanup(nameof(DotnetDump));

    private void Setup(string method)
    {
        LoadAverage.Started(typeof(HeapEngineBenchmarks), method);
        _kept = BuildHeap();
        _ = Heap.Snapshot(); // start the helper process once, as the first assertion of a test run does
    }

    private void Cleanup(string method)
    {
        GC.KeepAlive(_kept);
        LoadAverage.Ended(typeof(HeapEngineBenchmarks), method);
    }

    /// <summary>The benchmark's heap: 10,000 markers to count and a dictionary of 100,000 strings; keep what it returns.</summary>
    internal static object BuildHeap() =>
    (
        Markers: Enumerable.Range(0, 10_000).Select(i => new Marker(i)).ToList(),
        Strings: Enumerable.Range(0, 100_000).ToDictionary(
            i => string.Create(CultureInfo.InvariantCulture, $"key-{i}"),
            i => string.Create(CultureInfo.InvariantCulture, $"value-{i}"))
    );

    /// <summary>One assertion's worth of work, as <see cref="EngineAttach"/> measures it.</summary>
    internal static HeapSnapshot Assertion(out int count)
    {
        var heap = Heap.Snapshot();
        count = heap.Objects<Marker>().Count;
        return heap;
    }

    [Benchmark(Baseline = true, Description = "Heap.Snapshot() + count (attach)")]
    public int EngineAttach()
    {
        _ = Assertion(out var count);
        return count;
    }

    [Benchmark(Description = "Heap.Snapshot(Dump) + count")]
    public int EngineDump() => Heap.Snapshot(SnapshotMethod.Dump).Objects<Marker>().Count;

    [Benchmark(Description = "ClrMD CreateSnapshotAndAttach + count")]
    public int ClrMdSnapshot()
    {
        Heap.CollectEverything();
        using var target = DataTarget.CreateSnapshotAndAttach(Environment.ProcessId);
        using var runtime = LocalDac.CreateRuntime(target.ClrVersions[0]);
        var count = 0;
        foreach (var item in runtime.Heap.EnumerateObjects())
        {
            if (item.Type?.Name == s_markerName)
            {
                count++;
            }
        }

        return count;
    }

    [Benchmark(Description = "dotnet-dump collect + analyze (dumpheap -stat)")]
    public int DotnetDump()
    {
        Heap.CollectEverything();
        var dump = Path.Combine(Path.GetTempPath(), $"heapengine-{Environment.ProcessId}-{Guid.NewGuid():N}.dmp");
        try
        {
            DotnetTool("collect", "-p", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "--type", "Heap", "-o", dump);
            var output = DotnetTool("analyze", dump, "-c", $"dumpheap -stat -type {s_markerName}", "-c", "exit");
            // One row per matching type: method table, count, total size, name. -type matches substrings: take the exact name.
            var row = Regex.Match(output, $@"^\s*[0-9a-f]+\s+([\d,]+)\s+[\d,]+ {Regex.Escape(s_markerName)}\s*$", RegexOptions.Multiline);
            return row.Success ? int.Parse(row.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"dotnet-dump analyze printed no row for {s_markerName}: {output}");
        }
        finally
        {
            File.Delete(dump);
        }
    }

    private static string DotnetTool(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", ["tool", "run", "dotnet-dump", "--", .. arguments])
        {
            WorkingDirectory = Paths.Root, // where the tool manifest is
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"dotnet-dump {arguments[0]} failed ({process.ExitCode}): {output}{error.Result}");
    }

    internal sealed record Marker(int Id);
}
