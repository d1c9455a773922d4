using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;

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

        received.Should().HaveCount(SubscriberCount);
        for (var i = 0; i < SubscriberCount; i++)
        {
            received[i].Should().NotBeEmpty($"subscriber {i} must receive the current price right away")
                .And.OnlyContain(price => price == FakeQuotes.PriceOf(Symbol(i)), $"subscriber {i} asked for {Symbol(i)}");
        }

        Heap.Check(heap => heap.Should().HaveNoLingeringWorkFrom(
            typeof(PriceFeedHub).Assembly,
            baseline,
            because: "disposing the hub must end the polling loop of every subscription, not leave it waiting for its next poll "
                + "(hints: katas/05-lingering-tasks/README.md, section Hints)"));
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

        prices.Should().Equal(FakeQuotes.PriceOf("ACME"), FakeQuotes.PriceOf("GLOBEX"));
    }

    [Fact]
    public void A_disposed_hub_refuses_new_subscribers()
    {
        var hub = new PriceFeedHub(new FakeQuotes(), PollInterval);
        Bounded.Run(async _ => await hub.DisposeAsync(), Limit, "disposing an empty hub");

        var subscribe = () => hub.Subscribe("ACME", _ => { });

        subscribe.Should().Throw<ObjectDisposedException>();
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
