using System.Globalization;
using HeapAssert;
using ListenersNeverUnregistered;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// Kata 06: 1,000 portfolio screens of 40 holdings per step, each opened, given one price and closed (disposed).
/// Counts the screens still alive.
/// </summary>
public sealed class ListenersNeverUnregisteredGrowth : GrowthWorkload
{
    private const int ScreensPerStep = 1_000;
    private const int HoldingsPerScreen = 40;

    public override string Kata => "06-listeners-never-unregistered";

    public override string Measure => "live PortfolioWatch";

    public override string Unit => "screens opened and closed";

    public override Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken)
    {
        for (var step = 1; step <= steps; step++)
        {
            for (var i = 0; i < ScreensPerStep; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var own = string.Create(CultureInfo.InvariantCulture, $"GROWTH-{step}-{i}");
                var holdings = Enumerable.Range(1, HoldingsPerScreen - 1)
                    .Select(h => new Holding(string.Create(CultureInfo.InvariantCulture, $"GROWTH-SHARED-{(i + h) % 500}"), h))
                    .Prepend(new Holding(own, 4m))
                    .ToArray();
                using var watch = new PortfolioWatch(string.Create(CultureInfo.InvariantCulture, $"customer-{i}"), holdings);
                PriceFeed.Publish(own, 2.5m);
            }

            measured((long)step * ScreensPerStep);
        }

        return Task.CompletedTask;
    }

    public override Indicator Count(HeapSnapshot heap)
    {
        var screens = heap.Objects<PortfolioWatch>();
        return new Indicator(screens.Count, screens.Bytes);
    }
}
