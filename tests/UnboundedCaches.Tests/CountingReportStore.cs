using System.Collections.Concurrent;

namespace UnboundedCaches.Tests;

/// <summary>
/// A fake of the slow store: renders a small HTML page per key at once and counts how often each key was loaded.
/// </summary>
internal sealed class CountingReportStore : IReportStore
{
    private readonly ConcurrentDictionary<string, int> _loadsByKey = new(StringComparer.Ordinal);
    private int _totalLoads;

    public int TotalLoads => Volatile.Read(ref _totalLoads);

    public static string Render(string reportKey) =>
        $"<html><head><title>{reportKey}</title></head><body><h1>Report {reportKey}</h1>"
        + "<table><tr><th>Item</th><th>Amount</th></tr><tr><td>Subscription</td><td>42.00</td></tr>"
        + "<tr><td>Support</td><td>8.00</td></tr></table><p>Total: 50.00</p></body></html>";

    public int LoadsOf(string reportKey) => _loadsByKey.GetValueOrDefault(reportKey);

    public Task<string> LoadAsync(string reportKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _totalLoads);
        _loadsByKey.AddOrUpdate(reportKey, 1, static (_, loads) => loads + 1);
        return Task.FromResult(Render(reportKey));
    }
}
