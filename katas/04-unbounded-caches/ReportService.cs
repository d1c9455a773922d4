using System.Collections.Concurrent;

namespace UnboundedCaches;

/// <summary>
/// Serves rendered reports by key, in front of a slow <see cref="IReportStore"/>.
/// The service is created once per request, so its cache lives in a static field and is shared by every instance.
/// </summary>
public sealed class ReportService(IReportStore store)
{
    // KATA: every distinct key that is ever requested gets a slot here. When does a slot go away again?
    private static readonly ConcurrentDictionary<string, ReportEntry> s_entries = new(StringComparer.Ordinal);

    /// <summary>Returns the rendered HTML of a report, from the cache when it is there, else from the store.</summary>
    public async Task<string> GetHtmlAsync(string reportKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reportKey);

        if (s_entries.TryGetValue(reportKey, out var cached))
        {
            return cached.Html;
        }

        var html = await store.LoadAsync(reportKey, cancellationToken).ConfigureAwait(false);
        var entry = new ReportEntry(reportKey, html, DateTimeOffset.UtcNow);
        s_entries[reportKey] = entry;
        return entry.Html;
    }
}
