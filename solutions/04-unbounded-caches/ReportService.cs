using Microsoft.Extensions.Caching.Memory;

namespace UnboundedCaches;

/// <summary>
/// Serves rendered reports by key, in front of a slow <see cref="IReportStore"/>.
/// The service is created once per request, so its cache lives in a static field and is shared by every instance.
/// </summary>
public sealed class ReportService(IReportStore store)
{
    // FIXED: the cache holds at most 1,000 reports (SizeLimit, each entry has Size 1) and evicts the least recently used.
    private static readonly MemoryCache s_entries = new(new MemoryCacheOptions { SizeLimit = 1_000 });

    private static readonly MemoryCacheEntryOptions s_entryOptions = new()
    {
        Size = 1,
        SlidingExpiration = TimeSpan.FromMinutes(10),
        AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1),
    };

    /// <summary>Returns the rendered HTML of a report, from the cache when it is there, else from the store.</summary>
    public async Task<string> GetHtmlAsync(string reportKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reportKey);

        if (s_entries.TryGetValue(reportKey, out ReportEntry? cached) && cached is not null)
        {
            return cached.Html;
        }

        var html = await store.LoadAsync(reportKey, cancellationToken).ConfigureAwait(false);
        var entry = new ReportEntry(reportKey, html, DateTimeOffset.UtcNow);
        s_entries.Set(reportKey, entry, s_entryOptions);
        return entry.Html;
    }
}
