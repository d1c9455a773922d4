using System.Runtime.CompilerServices;
using FluentAssertions.Execution;

namespace UnboundedCaches.Tests;

public sealed class ReportServiceTests
{
    // The bounds stated in katas/04-unbounded-caches/README.md, section "Your task".
    private const int MaxCachedReports = 1_000;
    private const long MaxStringGrowthBytes = 4L * 1024 * 1024;

    private const int DistinctKeys = 50_000;
    private const int HotKeyCount = 20;
    private const int ColdKeysPerBatch = 25;

    [Fact]
    public async Task Returns_the_html_the_store_rendered()
    {
        var store = new CountingReportStore();
        var service = new ReportService(store);
        var key = NewKeyPrefix() + "invoice/acme/2024-06";

        var html = await service.GetHtmlAsync(key, TestContext.Current.CancellationToken);

        html.Should().Be(CountingReportStore.Render(key), "GetHtmlAsync must return the HTML the store rendered for that key");
    }

    [Fact]
    public async Task A_repeated_lookup_is_served_from_the_cache()
    {
        var store = new CountingReportStore();
        var prefix = NewKeyPrefix();

        // Each request parses its own copy of the key: equal strings, never the same instance.
        var first = await new ReportService(store).GetHtmlAsync($"{prefix}statement/globex/2024-05", TestContext.Current.CancellationToken);
        var second = await new ReportService(store).GetHtmlAsync($"{prefix}statement/globex/2024-05", TestContext.Current.CancellationToken);

        second.Should().Be(first, "two lookups of one report must return the same HTML");
        using (new AssertionScope("the number of times the store loaded the report"))
        {
            store.LoadsOf($"{prefix}statement/globex/2024-05").Should().Be(
                1,
                "the second lookup of a cached report must not call the slow store, although its key is a new string "
                    + "with the same text, as it is when every request parses its own");
        }
    }

    [Fact]
    public async Task Each_key_gets_its_own_report()
    {
        var store = new CountingReportStore();
        var service = new ReportService(store);
        var june = NewKeyPrefix() + "invoice/initech/2024-06";
        var july = NewKeyPrefix() + "invoice/initech/2024-07";

        var juneHtml = await service.GetHtmlAsync(june, TestContext.Current.CancellationToken);
        var julyHtml = await service.GetHtmlAsync(july, TestContext.Current.CancellationToken);

        juneHtml.Should().Be(CountingReportStore.Render(june), "the June invoice must be the June report");
        julyHtml.Should().Be(CountingReportStore.Render(july), "the July invoice must be the July report, not the cached June one");
    }

    [Fact]
    [Trait("Memory", "leak")]
    public void Cache_stays_bounded_under_many_distinct_keys_and_keeps_hot_reports_cached()
    {
        var before = Heap.Snapshot();

        var traffic = Bounded.Run(
            SendTrafficAsync,
            TimeSpan.FromSeconds(60),
            $"{DistinctKeys:N0} distinct report lookups with {HotKeyCount} hot reports in between");

        // The work must be done right: every lookup returns its own report, and hot reports stay cached.
        traffic.WrongAnswers.Should().Be(0, "GetHtmlAsync must return the HTML the store rendered for that very key");
        traffic.ColdLoads.Should().Be(DistinctKeys, "every distinct report is loaded from the store once");
        traffic.HotKeysLoadedAgain.Should().Be(
            0,
            "each of the {0} hot reports must be loaded from the store once and then served from the cache, however many "
                + "other keys go through the service, and a lookup must find its report from a key that is a new string "
                + "with the same text, as every request in production brings; yet the store was asked for hot reports "
                + "{1:N0} times",
            HotKeyCount,
            traffic.HotLoads);

        var work = $"{DistinctKeys:N0} distinct report keys and {DistinctKeys / ColdKeysPerBatch * HotKeyCount:N0} hot lookups on 4 workers";
        Heap.Check(after =>
        {
            after.Should().After(work).HaveAtMost(MaxCachedReports).LiveInstancesOf<ReportEntry>(
                because: $"the report cache should stay bounded at {MaxCachedReports:N0} entries however many distinct keys "
                    + "are requested");

            var growth = after.Diff(before);
            var strings = growth.For<string>();
            if (strings.BytesDelta > MaxStringGrowthBytes)
            {
                Leak.Fail(
                    $"{strings.CountDelta:N0} more live String ({strings.BytesDelta / 1024.0 / 1024.0:0.#} MB) after {work} "
                        + $"than before, expected at most {MaxStringGrowthBytes / 1024 / 1024} MB more",
                    "What grew between the snapshot before the traffic and the one after it:" + Environment.NewLine
                        + growth.ToString(5),
                    "the report keys and HTML the service keeps should stay bounded along with its entries");
            }
        });
    }

    /// <summary>
    /// Warms <see cref="HotKeyCount"/> hot reports, then sends <see cref="DistinctKeys"/> distinct keys in batches on
    /// 4 workers; after every batch each hot report is asked for again, as a popular report is in production.
    /// Every lookup builds its key anew, hot keys included: a service parses the key from each request, so two
    /// requests for one report never share a string instance.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<TrafficResult> SendTrafficAsync(CancellationToken cancellationToken)
    {
        var store = new CountingReportStore();
        var service = new ReportService(store);
        var prefix = NewKeyPrefix();
        var wrongAnswers = 0;

        for (var hot = 0; hot < HotKeyCount; hot++)
        {
            await LookUpAsync(HotKey(prefix, hot)).ConfigureAwait(false);
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken };
        await Parallel.ForAsync(0, DistinctKeys / ColdKeysPerBatch, options, async (batch, _) =>
        {
            for (var i = 0; i < ColdKeysPerBatch; i++)
            {
                await LookUpAsync($"{prefix}invoice/customer-{(batch * ColdKeysPerBatch) + i}/2024-06").ConfigureAwait(false);
            }

            for (var hot = 0; hot < HotKeyCount; hot++)
            {
                await LookUpAsync(HotKey(prefix, hot)).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        var hotLoads = Enumerable.Range(0, HotKeyCount).Sum(hot => store.LoadsOf(HotKey(prefix, hot)));
        var hotKeysLoadedAgain = Enumerable.Range(0, HotKeyCount).Count(hot => store.LoadsOf(HotKey(prefix, hot)) != 1);
        return new TrafficResult(wrongAnswers, store.TotalLoads - hotLoads, hotLoads, hotKeysLoadedAgain);

        async Task LookUpAsync(string key)
        {
            var html = await service.GetHtmlAsync(key, cancellationToken).ConfigureAwait(false);
            if (html != CountingReportStore.Render(key))
            {
                Interlocked.Increment(ref wrongAnswers);
            }
        }
    }

    // A new string on every call, as a key parsed from a request is: interpolation never returns a cached instance.
    private static string HotKey(string prefix, int hot) => $"{prefix}statement/top-customer-{hot}/2024-06";

    // The cache is static and outlives a test: every test uses keys of its own.
    private static string NewKeyPrefix() => $"run-{Guid.NewGuid():N}/";

    /// <summary>What the traffic saw: wrong HTML returned, store loads of cold and of hot keys, hot keys loaded more than once.</summary>
    private sealed record TrafficResult(int WrongAnswers, int ColdLoads, int HotLoads, int HotKeysLoadedAgain);
}
