using System.Reflection;
using System.Runtime.CompilerServices;
using HeapAssert.DotMemoryStyle;

namespace LingeringTasks.Tests;

/// <summary>
/// The kata's memory check as a dotMemory Unit test, ported by one <c>using</c>: it runs under a plain <c>dotnet test</c>.
/// dotMemory Unit has no notion of a pending async method, so the test looks up the polling loop's compiler-generated state
/// machine (a class in the Debug builds the workshop runs) and counts the ones created since a checkpoint.
/// </summary>
public sealed class DotMemoryStyleTests
{
    private const int SubscriberCount = 300;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(30);

    [Fact]
    [Trait("Memory", "leak")]
    [DotMemoryUnit(FailIfRunWithoutSupport = true)]
    public void Disposing_the_hub_ends_every_polling_loop()
    {
        var pollLoop = typeof(PriceFeedHub).GetNestedTypes(BindingFlags.NonPublic)
            .Single(type => type.Name.StartsWith("<PollAsync>", StringComparison.Ordinal));
        var before = dotMemory.Check();

        var served = SubscribeThenDispose();

        dotMemory.Check(memory =>
            Assert.True(memory.GetDifference(before).GetNewObjects(where => where.Type.Is(pollLoop)).ObjectsCount == 0,
                $"no PollAsync state machine created since the checkpoint may be alive after {SubscriberCount} subscriptions "
                + "and the hub's disposal"));

        served.Should().Be(SubscriberCount, "each of the {0} subscribers must receive a price before the hub is disposed", SubscriberCount);
    }

    /// <summary>Subscribes <see cref="SubscriberCount"/> times, waits until each got a price, disposes the hub; in its own frame.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SubscribeThenDispose()
    {
        var hub = new PriceFeedHub(new FixedQuotes(), PollInterval);
        var served = 0;
        var everyoneServed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Bounded.Run(
            async _ =>
            {
                for (var i = 0; i < SubscriberCount; i++)
                {
                    var first = 1;
                    hub.Subscribe($"SYM{i % 50:D2}", _ =>
                    {
                        if (Interlocked.Exchange(ref first, 0) == 1 && Interlocked.Increment(ref served) == SubscriberCount)
                        {
                            everyoneServed.TrySetResult();
                        }
                    });
                }

                await everyoneServed.Task;
                await hub.DisposeAsync();
            },
            TimeSpan.FromSeconds(30),
            $"{SubscriberCount} subscriptions, then disposing the hub");
        return Volatile.Read(ref served);
    }

    private sealed class FixedQuotes : IQuoteSource
    {
        public async Task<decimal> GetPriceAsync(string symbol, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            return 100m;
        }
    }
}
