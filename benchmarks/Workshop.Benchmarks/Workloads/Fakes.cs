using LingeringTasks;
using UnboundedCaches;

namespace Workshop.Benchmarks.Workloads;

/// <summary>Kata 04's slow store, made instant: renders a small HTML page per key.</summary>
public sealed class RenderingReportStore : IReportStore
{
    public Task<string> LoadAsync(string reportKey, CancellationToken cancellationToken) =>
        Task.FromResult($"<html><body><h1>Report {reportKey}</h1><p>Total: 50.00</p></body></html>");
}

/// <summary>Kata 05's quote API: answers asynchronously with a fixed price per symbol.</summary>
public sealed class FixedQuotes : IQuoteSource
{
    public async Task<decimal> GetPriceAsync(string symbol, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        return 100m + symbol.Length;
    }
}
