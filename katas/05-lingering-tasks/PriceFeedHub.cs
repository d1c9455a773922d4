namespace LingeringTasks;

/// <summary>Where the hub gets its prices from: a market-data HTTP API in production, a fake in tests.</summary>
public interface IQuoteSource
{
    Task<decimal> GetPriceAsync(string symbol, CancellationToken cancellationToken = default);
}

/// <summary>
/// Pushes prices to subscribers (dashboard tabs, alert rules, trading bots). Every subscription gets its own
/// small polling loop: fetch the price, hand it to the subscriber, wait, and again.
/// </summary>
public sealed class PriceFeedHub : IAsyncDisposable
{
    private readonly IQuoteSource _quotes;
    private readonly TimeSpan _pollInterval;
    private volatile bool _stopped;
    private int _subscriptions;

    public PriceFeedHub(IQuoteSource quotes, TimeSpan pollInterval)
    {
        _quotes = quotes;
        _pollInterval = pollInterval;
    }

    /// <summary>How many subscriptions the hub is serving.</summary>
    public int Subscriptions => Volatile.Read(ref _subscriptions);

    public void Subscribe(string symbol, Action<decimal> onPrice)
    {
        ObjectDisposedException.ThrowIf(_stopped, this);
        Interlocked.Increment(ref _subscriptions);

        // KATA: once the hub is disposed, how long does this loop keep waiting, and who is still able to stop it?
        _ = PollAsync(symbol, onPrice);
    }

    private async Task PollAsync(string symbol, Action<decimal> onPrice)
    {
        while (!_stopped)
        {
            try
            {
                onPrice(await _quotes.GetPriceAsync(symbol));
            }
            catch (HttpRequestException)
            {
                // A flaky quote API must not end the subscription: try again at the next poll.
            }

            await Task.Delay(_pollInterval);
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopped = true;
        Volatile.Write(ref _subscriptions, 0);
        return ValueTask.CompletedTask;
    }
}
