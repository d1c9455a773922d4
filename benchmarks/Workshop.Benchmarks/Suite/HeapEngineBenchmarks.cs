using System.Globalization;
using BenchmarkDotNet.Attributes;
using HeapAssert;
using Microsoft.Diagnostics.Runtime;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// The heap engine's own speed: one heap assertion's worth of work (full GC, snapshot, count one type) in this very
/// process, next to ClrMD's own way to snapshot a live process, and to the engine's dump-file path.
/// The process holds 10,000 objects to count plus 100,000 strings in a dictionary, roughly a busy test's heap.
/// </summary>
[FlavourIndependent]
[IterationCount(10)]
public class HeapEngineBenchmarks
{
    private static readonly string s_markerName = typeof(Marker).FullName!;
    private List<Marker> _markers = null!;
    private Dictionary<string, string> _strings = null!;

    [GlobalSetup]
    public void Setup()
    {
        _markers = [.. Enumerable.Range(0, 10_000).Select(i => new Marker(i))];
        _strings = Enumerable.Range(0, 100_000).ToDictionary(
            i => string.Create(CultureInfo.InvariantCulture, $"key-{i}"),
            i => string.Create(CultureInfo.InvariantCulture, $"value-{i}"));
        _ = Heap.Snapshot(); // start the helper process once, as the first assertion of a test run does
    }

    [GlobalCleanup]
    public void Cleanup() => GC.KeepAlive((_markers, _strings));

    [Benchmark(Baseline = true, Description = "Heap.Snapshot() + count (attach)")]
    public int EngineAttach() => Heap.Snapshot().Objects<Marker>().Count;

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

    private sealed record Marker(int Id);
}
