using System.Globalization;
using System.Runtime.CompilerServices;

namespace ListenersNeverUnregistered.Tests;

public sealed class PortfolioWatchTests
{
    // The numbers stated in katas/06-listeners-never-unregistered/README.md, section "Your task".
    private const int Screens = 5_000;
    private const int HoldingsPerScreen = 40;

    [Fact]
    public void An_open_screen_shows_the_prices_of_its_holdings()
    {
        var symbol = NewSymbol();
        using var watch = new PortfolioWatch("customer-1", [new Holding(symbol, 10m), new Holding(NewSymbol(), 5m)]);

        PriceFeed.Publish(symbol, 12.5m);

        watch.Updates.Should().Be(1, "the screen holds the instrument whose price changed once");
        watch.MarketValue.Should().Be(125m, "the screen's market value is 10 units at 12.50, and its other holding has no price yet");
    }

    [Fact]
    public void A_screen_ignores_prices_of_instruments_it_does_not_hold()
    {
        using var watch = new PortfolioWatch("customer-2", [new Holding(NewSymbol(), 3m)]);

        PriceFeed.Publish(NewSymbol(), 99m);

        watch.Updates.Should().Be(0, "a screen must take no price change of an instrument it does not hold");
        watch.MarketValue.Should().Be(0m, "the screen's only holding has no price yet");
    }

    [Fact]
    public void A_closed_screen_shows_no_more_prices()
    {
        var symbol = NewSymbol();
        var watch = new PortfolioWatch("customer-3", [new Holding(symbol, 2m)]);
        PriceFeed.Publish(symbol, 10m);

        watch.Dispose();
        PriceFeed.Publish(symbol, 11m);

        watch.Updates.Should().Be(1, "the screen took one price change while open, and a closed screen must take no more");
    }

    [Fact]
    public void Each_screen_follows_its_own_holdings()
    {
        var shared = NewSymbol();
        using var small = new PortfolioWatch("customer-4", [new Holding(shared, 1m)]);
        using var large = new PortfolioWatch("customer-5", [new Holding(shared, 100m)]);

        PriceFeed.Publish(shared, 3m);

        small.MarketValue.Should().Be(3m, "the screen holding 1 unit at 3 is worth 3");
        large.MarketValue.Should().Be(300m, "the screen holding 100 units at 3 is worth 300");
    }

    [Fact]
    public void Closing_a_screen_twice_is_harmless()
    {
        var symbol = NewSymbol();
        using var other = new PortfolioWatch("customer-6", [new Holding(symbol, 1m)]);
        var watch = new PortfolioWatch("customer-7", [new Holding(symbol, 2m)]);

        watch.Dispose();
        var again = watch.Invoking(w => w.Dispose());

        again.Should().NotThrow("Dispose may be called more than once, as on any IDisposable: a `using` and an owner that "
            + "disposes what it holds can both close the same screen");
        PriceFeed.Publish(symbol, 5m);
        other.MarketValue.Should().Be(5m, "closing one screen, once or twice, must not stop the prices of another screen");
        watch.Updates.Should().Be(0, "a screen closed before any price change must take none");
    }

    [Fact]
    [Trait("Memory", "leak")]
    public void Closed_screens_are_not_kept_alive_by_the_price_feed()
    {
        var before = Heap.Snapshot();

        var traffic = Bounded.Run(
            OpenAndCloseScreensAsync,
            TimeSpan.FromSeconds(60),
            $"{Screens:N0} portfolio screens opened and closed on 4 workers while prices change");

        Heap.Check(after =>
        {
            var growth = Math.Max(0, after.TotalBytes - before.TotalBytes) / 1024.0 / 1024.0;
            after.Should().After($"{Screens:N0} screens opened and closed on 4 workers while prices changed, with the live heap "
                    + $"{growth:N1} MB larger than before them")
                .HaveNoLiveInstancesOf<PortfolioWatch>(
                    because: "a closed (disposed) screen is of no more use to anyone, and each one kept holds its "
                        + $"{HoldingsPerScreen} holdings and their latest prices");
        });

        // The work must be done right: every open screen took the prices of its holdings, and only those.
        traffic.WrongValues.Should().Be(
            0,
            "each screen, while open, must show the market value of its own holdings at the latest prices");
        traffic.SentinelUpdates.Should().Be(
            traffic.SentinelPrices,
            "a screen that stays open for the whole run must take every price change of its holdings");
        traffic.UpdatesAfterClose.Should().Be(0, "a closed screen must not take price changes any more");
    }

    /// <summary>
    /// Keeps one screen open for the whole run, then opens <see cref="Screens"/> screens on 4 workers. Each screen gets a
    /// price for its own instrument while it is open, then is closed, and gets one more after it was closed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<TrafficResult> OpenAndCloseScreensAsync(CancellationToken cancellationToken)
    {
        var run = NewSymbol();
        var sentinelSymbol = run + "-index";
        var wrongValues = 0;
        var updatesAfterClose = 0;
        var sentinelPrices = 0;

        using var sentinel = new PortfolioWatch("desk-overview", [new Holding(sentinelSymbol, 1m)]);

        var options = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken };
        await Parallel.ForAsync(0, Screens, options, (screen, _) =>
        {
            // The first holding is this screen's own instrument; the others are shared with other screens and never priced.
            var own = string.Create(CultureInfo.InvariantCulture, $"{run}-own-{screen}");
            var holdings = Enumerable.Range(1, HoldingsPerScreen - 1)
                .Select(h => new Holding(string.Create(CultureInfo.InvariantCulture, $"{run}-{(screen + h) % 500}"), h))
                .Prepend(new Holding(own, 4m))
                .ToArray();
            var watch = new PortfolioWatch(string.Create(CultureInfo.InvariantCulture, $"customer-{screen}"), holdings);

            PriceFeed.Publish(own, 2.5m);
            if (watch.MarketValue != 10m || watch.Updates != 1)
            {
                Interlocked.Increment(ref wrongValues);
            }

            watch.Dispose();
            PriceFeed.Publish(own, 3m);
            if (watch.Updates != 1)
            {
                Interlocked.Increment(ref updatesAfterClose);
            }

            if (screen % 50 == 0)
            {
                PriceFeed.Publish(sentinelSymbol, screen);
                Interlocked.Increment(ref sentinelPrices);
            }

            return ValueTask.CompletedTask;
        }).ConfigureAwait(false);

        return new TrafficResult(wrongValues, updatesAfterClose, sentinelPrices, sentinel.Updates);
    }

    // The feed is static and outlives a test: every test uses instruments of its own.
    private static string NewSymbol() => $"X{Guid.NewGuid():N}";

    /// <summary>What the traffic saw: wrong market values, updates taken after a close, and the long-lived screen's count.</summary>
    private sealed record TrafficResult(int WrongValues, int UpdatesAfterClose, int SentinelPrices, int SentinelUpdates);
}
