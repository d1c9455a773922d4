namespace UnboundedCaches;

/// <summary>
/// The slow store behind the service: a reporting database or a rendering backend.
/// One call takes tens of milliseconds in production, which is why lookups are cached.
/// </summary>
public interface IReportStore
{
    /// <summary>Loads the rendered HTML of one report, for example "invoice/2024-06/acme".</summary>
    Task<string> LoadAsync(string reportKey, CancellationToken cancellationToken);
}

/// <summary>What the service keeps for one report: the rendered HTML and when it was loaded.</summary>
public sealed record ReportEntry(string Key, string Html, DateTimeOffset LoadedAt);
