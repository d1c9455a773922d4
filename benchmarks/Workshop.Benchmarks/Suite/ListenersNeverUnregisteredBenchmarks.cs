using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using ListenersNeverUnregistered;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// Kata 06: one portfolio screen opened, given one price change and closed, run 1,000 at a time. With the leak every
/// closed screen stays on the feed's event, so each price change calls every screen opened so far. The event is static
/// and the kata offers no way to empty it, so every iteration starts by emptying it through reflection: each iteration
/// measures the same 16,000 screens from an empty feed.
/// </summary>
[FullRun(invocations: 16)]
public class ListenersNeverUnregisteredBenchmarks
{
    private const int Screens = 1_000;
    private static readonly FieldInfo s_event = typeof(PriceFeed).GetField("PriceChanged", BindingFlags.NonPublic | BindingFlags.Static)
        ?? throw new InvalidOperationException("PriceFeed has no static field PriceChanged: update ListenersNeverUnregisteredBenchmarks.");

    private Holding[] _shared = null!;

    [GlobalSetup]
    public void Setup()
    {
        RetainedProbe.Measure(typeof(ListenersNeverUnregisteredBenchmarks), "06-listeners-never-unregistered");
        _shared = [.. Enumerable.Range(1, 39).Select(h => new Holding(string.Create(CultureInfo.InvariantCulture, $"BENCH-{h}"), h))];
    }

    [IterationSetup]
    public void EmptyTheFeed() => s_event.SetValue(null, null);

    [Benchmark(OperationsPerInvoke = Screens, Description = "open a screen, one price change, close it")]
    public decimal OpenPriceClose()
    {
        var total = 0m;
        for (var i = 0; i < Screens; i++)
        {
            var own = string.Create(CultureInfo.InvariantCulture, $"OWN-{i}");
            using var watch = new PortfolioWatch("customer", [new Holding(own, 4m), .. _shared]);
            PriceFeed.Publish(own, 2.5m);
            total += watch.MarketValue;
        }

        return total;
    }
}
