using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using UnboundedCaches;
using Workshop.Benchmarks.Workloads;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// Kata 04: 1,000 lookups per operation, each a new service instance as in the kata. Four lookups in five go to 20 hot
/// reports, one in five to a report nobody asked for before. The cache is static and the kata offers no way to empty it,
/// so every iteration starts by emptying it through reflection (its Clear method, which both versions have): each
/// iteration measures the same 16,000 lookups from an empty cache, and the leaky cache cannot grow across the run.
/// </summary>
[FullRun(invocations: 16)]
public class UnboundedCachesBenchmarks
{
    private const int Lookups = 1_000;
    private static readonly MethodInfo s_clear = ClearMethod();
    private readonly RenderingReportStore _store = new();
    private string[] _hotKeys = null!;
    private int _nextColdKey;

    [GlobalSetup]
    public void Setup()
    {
        RetainedProbe.Measure(typeof(UnboundedCachesBenchmarks), "04-unbounded-caches");
        _hotKeys = [.. Enumerable.Range(0, 20).Select(i => string.Create(CultureInfo.InvariantCulture, $"dashboard/hot-{i}"))];
    }

    [IterationSetup]
    public void EmptyTheCache() => s_clear.Invoke(StaticCache(), null);

    [Benchmark(OperationsPerInvoke = Lookups, Description = "GetHtmlAsync (80% hot, 20% new keys)")]
    public async Task<int> Lookup()
    {
        var length = 0;
        for (var i = 0; i < Lookups; i++)
        {
            var key = i % 5 == 0
                ? string.Create(CultureInfo.InvariantCulture, $"invoice/customer-{++_nextColdKey}/2024-06")
                : _hotKeys[i % _hotKeys.Length];
            length += (await new ReportService(_store).GetHtmlAsync(key)).Length;
        }

        return length;
    }

    private static object StaticCache() =>
        typeof(ReportService).GetField("s_entries", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null)
        ?? throw new InvalidOperationException("ReportService has no static field s_entries: update UnboundedCachesBenchmarks.");

    private static MethodInfo ClearMethod() =>
        StaticCache().GetType().GetMethod("Clear", Type.EmptyTypes)
        ?? throw new InvalidOperationException("ReportService's cache has no Clear(): update UnboundedCachesBenchmarks.");
}
