using System.Globalization;
using HeapAssert;
using UnboundedCaches;
using Workshop.Benchmarks.Workloads;

namespace Workshop.Benchmarks.Growth;

/// <summary>Kata 04: 6,250 lookups of distinct report keys per step, a new service per request. Counts cached entries.</summary>
public sealed class UnboundedCachesGrowth : GrowthWorkload
{
    private const int RequestsPerStep = 6_250;

    public override string Kata => "04-unbounded-caches";

    public override string Measure => "live ReportEntry";

    public override string Unit => "requests";

    public override async Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken)
    {
        var store = new RenderingReportStore();
        for (var step = 1; step <= steps; step++)
        {
            for (var i = 0; i < RequestsPerStep; i++)
            {
                var key = string.Create(CultureInfo.InvariantCulture, $"invoice/customer-{step}-{i}/2024-06");
                await new ReportService(store).GetHtmlAsync(key, cancellationToken);
            }

            measured((long)step * RequestsPerStep);
        }
    }

    public override Indicator Count(HeapSnapshot heap)
    {
        var entries = heap.Objects<ReportEntry>();
        return new Indicator(entries.Count, entries.Bytes);
    }
}
