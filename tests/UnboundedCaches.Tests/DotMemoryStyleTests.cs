using System.Runtime.CompilerServices;
using HeapAssert.DotMemoryStyle;

namespace UnboundedCaches.Tests;

/// <summary>
/// The kata's memory check as a dotMemory Unit test, ported by one <c>using</c>: it runs under a plain <c>dotnet test</c>.
/// </summary>
public sealed class DotMemoryStyleTests
{
    private const int MaxCachedReports = 1_000;
    private const int DistinctKeys = 50_000;

    [Fact]
    [Trait("Memory", "leak")]
    [DotMemoryUnit(FailIfRunWithoutSupport = true)]
    public void Cache_stays_bounded()
    {
        var wrongAnswers = Bounded.Run(SendTrafficAsync, TimeSpan.FromSeconds(60), $"{DistinctKeys:N0} distinct report lookups");

        dotMemory.Check(memory =>
            Assert.True(memory.GetObjects(where => where.Type.Is<ReportEntry>()).ObjectsCount <= MaxCachedReports,
                $"at most {MaxCachedReports:N0} ReportEntry may be alive after {DistinctKeys:N0} distinct report keys were "
                + "looked up on 4 workers"));

        wrongAnswers.Should().Be(0, "every lookup must return the HTML the store rendered for its key");
    }

    /// <summary>Sends <see cref="DistinctKeys"/> distinct keys on 4 workers, in its own frame; returns how many answers were wrong.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> SendTrafficAsync(CancellationToken cancellationToken)
    {
        var service = new ReportService(new CountingReportStore());
        var prefix = $"dotmemory-{Guid.NewGuid():N}/"; // the cache is static and outlives a test: keys of this test's own
        var wrong = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken };
        await Parallel.ForAsync(0, DistinctKeys, options, async (i, token) =>
        {
            var key = $"{prefix}invoice/customer-{i}/2024-06";
            if (await service.GetHtmlAsync(key, token).ConfigureAwait(false) != CountingReportStore.Render(key))
            {
                Interlocked.Increment(ref wrong);
            }
        }).ConfigureAwait(false);

        return wrong;
    }
}
