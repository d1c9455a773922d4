using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using FluentAssertions.Execution;

namespace LingeringTasks.Tests;

public sealed class LingeringTasksTests
{
    private const int SubscriberCount = 300;

    // Long enough that a loop nobody cancels just sits in Task.Delay: it costs a timer, not CPU, and dies with the test process.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    [Trait("Memory", "leak")]
    public void Disposing_the_hub_ends_every_polling_loop()
    {
        var baseline = Heap.Snapshot();

        var received = SubscribeAllThenDispose(new FakeQuotes());

        received.Should().HaveCount(SubscriberCount, "each of the {0} subscribers must have its own prices", SubscriberCount);
        for (var i = 0; i < SubscriberCount; i++)
        {
            using (new AssertionScope($"the prices subscriber {i} received"))
            {
                received[i].Should().NotBeEmpty($"subscriber {i} must receive the current price right after subscribing")
                    .And.OnlyContain(price => price == FakeQuotes.PriceOf(Symbol(i)), $"subscriber {i} asked for {Symbol(i)} only");
            }
        }

        Heap.Check(heap => heap.Should().After($"{SubscriberCount} subscriptions and the hub's disposal").HaveNoLingeringWorkFrom(
            typeof(PriceFeedHub).Assembly,
            baseline,
            because: "a disposed hub serves no one, so no polling loop it started should still be waiting for its next poll, "
                + "holding its subscriber's callback"));
    }

    [Fact]
    [Trait("Memory", "leak")]
    public void DisposeAsync_returns_only_when_every_polling_loop_has_ended()
    {
        const int subscribers = 5;
        var quotes = new SlowToStopQuotes(waitingCalls: subscribers);
        var hub = new PriceFeedHub(quotes, TimeSpan.FromMilliseconds(10));

        var (inFlight, disposal) = Bounded.Run(
            async _ =>
            {
                for (var i = 0; i < subscribers; i++)
                {
                    hub.Subscribe(Symbol(i), _ => { });
                }

                // Every loop has had its first price and is now waiting for its second.
                await quotes.AllWaiting;
                var clock = Stopwatch.StartNew();
                await hub.DisposeAsync();
                return (quotes.InFlight, clock.Elapsed);
            },
            Limit,
            $"{subscribers} subscriptions whose quote requests are in flight, then disposing the hub");

        if (inFlight > 0)
        {
            Leak.Fail(
                $"{inFlight} of the {subscribers} quote requests of the hub's polling loops were still in flight when "
                    + $"DisposeAsync returned after {disposal.TotalMilliseconds:N0} ms, expected none",
                $"The quote source was asked for a price by {subscribers} polling loops, and it takes "
                    + $"{SlowToStopQuotes.StopTime.TotalMilliseconds:N0} ms to give up a request. A loop whose request is still in "
                    + "flight has not ended: it still holds its subscriber's callback, and the quote source and the subscriber "
                    + "may still hear from it after the hub is gone.",
                "DisposeAsync should return only once every polling loop the hub started has ended");
        }
    }

    [Fact]
    public void DisposeAsync_can_be_called_twice()
    {
        var hub = new PriceFeedHub(new FakeQuotes(), PollInterval);
        var served = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var secondDisposal = Bounded.Run(
            async _ =>
            {
                hub.Subscribe("ACME", _ => served.TrySetResult());
                await served.Task;
                await hub.DisposeAsync();
                try
                {
                    await hub.DisposeAsync();
                    return null;
                }
                catch (Exception e)
                {
                    return e;
                }
            },
            Limit,
            "subscribing, then disposing the hub twice");

        using (new AssertionScope("what the second DisposeAsync threw"))
        {
            secondDisposal.Should().BeNull("DisposeAsync may be called more than once, as on any IAsyncDisposable: an "
                + "`await using` and an owner that disposes what it holds can both dispose the same hub");
        }
    }

    [Fact]
    public void Every_subscriber_gets_the_price_of_its_own_symbol()
    {
        var hub = new PriceFeedHub(new FakeQuotes(), PollInterval);
        var first = new TaskCompletionSource<decimal>(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource<decimal>(TaskCreationOptions.RunContinuationsAsynchronously);

        var prices = Bounded.Run(
            async _ =>
            {
                hub.Subscribe("ACME", price => first.TrySetResult(price));
                hub.Subscribe("GLOBEX", price => second.TrySetResult(price));
                var received = await Task.WhenAll(first.Task, second.Task);
                await hub.DisposeAsync();
                return received;
            },
            Limit,
            "subscribing twice and disposing the hub");

        prices.Should().Equal(
            [FakeQuotes.PriceOf("ACME"), FakeQuotes.PriceOf("GLOBEX")],
            "the subscriber to ACME must get ACME's price, and the subscriber to GLOBEX GLOBEX's");
    }

    [Fact]
    public void A_subscriber_gets_a_price_every_poll_interval()
    {
        var interval = TimeSpan.FromMilliseconds(100);
        var hub = new PriceFeedHub(new FakeQuotes(), interval);
        var times = new ConcurrentQueue<TimeSpan>();
        var thirdPrice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();

        Bounded.Run(
            async _ =>
            {
                hub.Subscribe("ACME", _ =>
                {
                    times.Enqueue(clock.Elapsed);
                    if (times.Count == 3)
                    {
                        thirdPrice.TrySetResult();
                    }
                });
                await thirdPrice.Task;
                await hub.DisposeAsync();
            },
            Limit,
            "waiting for three prices 100 ms apart, then disposing the hub");

        var received = times.ToArray();
        (received[2] - received[0]).Should().BeGreaterThanOrEqualTo(
            interval * 1.5,
            "the subscriber must get its first price at once and then one per poll interval (100 ms), not faster");
    }

    [Fact]
    public void A_disposed_hub_refuses_new_subscribers()
    {
        var hub = new PriceFeedHub(new FakeQuotes(), PollInterval);
        Bounded.Run(async _ => await hub.DisposeAsync(), Limit, "disposing an empty hub");

        var subscribe = () => hub.Subscribe("ACME", _ => { });

        subscribe.Should().Throw<ObjectDisposedException>("a disposed hub must refuse new subscribers");
    }

    /// <summary>Runs the scenario in its own frame, so nothing it created is held by the test's locals.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static decimal[][] SubscribeAllThenDispose(FakeQuotes quotes)
    {
        var hub = new PriceFeedHub(quotes, PollInterval);
        var inboxes = new ConcurrentQueue<decimal>[SubscriberCount];
        var waiting = SubscriberCount;
        var everyoneServed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Bounded.Run(
            async _ =>
            {
                for (var i = 0; i < SubscriberCount; i++)
                {
                    var inbox = inboxes[i] = new ConcurrentQueue<decimal>();
                    var served = 0;
                    hub.Subscribe(Symbol(i), price =>
                    {
                        inbox.Enqueue(price);
                        if (Interlocked.Exchange(ref served, 1) == 0 && Interlocked.Decrement(ref waiting) == 0)
                        {
                            everyoneServed.TrySetResult();
                        }
                    });
                }

                await everyoneServed.Task;
                await hub.DisposeAsync();
            },
            Limit,
            $"{SubscriberCount} subscriptions, then disposing the hub");

        return [.. inboxes.Select(inbox => inbox.ToArray())];
    }

    private static string Symbol(int subscriber) => string.Create(CultureInfo.InvariantCulture, $"SYM{subscriber % 50:D2}");

    /// <summary>
    /// A quote API whose first request per symbol answers at once, and whose later requests wait: until they are cancelled,
    /// then take <see cref="StopTime"/> to give up (as an HTTP request does while its connection closes), or else answer
    /// after <see cref="AnswerTime"/>. <see cref="InFlight"/> counts the requests that have not returned yet.
    /// </summary>
    private sealed class SlowToStopQuotes(int waitingCalls) : IQuoteSource
    {
        public static readonly TimeSpan StopTime = TimeSpan.FromMilliseconds(200);
        public static readonly TimeSpan AnswerTime = TimeSpan.FromSeconds(2);

        private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
        private readonly TaskCompletionSource _allWaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private int _waiting;

        public int InFlight => Volatile.Read(ref _inFlight);

        /// <summary>Completes when <c>waitingCalls</c> requests are waiting at once.</summary>
        public Task AllWaiting => _allWaiting.Task;

        public async Task<decimal> GetPriceAsync(string symbol, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _inFlight);
            try
            {
                await Task.Yield();
                if (_calls.AddOrUpdate(symbol, 1, static (_, calls) => calls + 1) == 1)
                {
                    return FakeQuotes.PriceOf(symbol);
                }

                if (Interlocked.Increment(ref _waiting) == waitingCalls)
                {
                    _allWaiting.TrySetResult();
                }

                try
                {
                    await Task.Delay(AnswerTime, cancellationToken);
                    return FakeQuotes.PriceOf(symbol);
                }
                catch (OperationCanceledException)
                {
                    await Task.Delay(StopTime, CancellationToken.None);
                    throw;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    /// <summary>A quote API that answers asynchronously, like a real HTTP call, with a fixed price per symbol.</summary>
    private sealed class FakeQuotes : IQuoteSource
    {
        public static decimal PriceOf(string symbol) => 100m + (symbol.Sum(c => c) % 97) / 4m;

        public async Task<decimal> GetPriceAsync(string symbol, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            return PriceOf(symbol);
        }
    }
}
