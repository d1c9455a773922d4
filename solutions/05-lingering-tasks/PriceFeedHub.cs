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
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
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

        // FIXED: every loop gets the hub's token and is remembered, so DisposeAsync can cancel it and wait for its end.
        lock (_loops)
        {
            _loops.Add(PollAsync(symbol, onPrice, _stopping.Token));
        }
    }

    private async Task PollAsync(string symbol, Action<decimal> onPrice, CancellationToken stopping)
    {
        while (!_stopped)
        {
            try
            {
                onPrice(await _quotes.GetPriceAsync(symbol, stopping));
            }
            catch (HttpRequestException)
            {
                // A flaky quote API must not end the subscription: try again at the next poll.
            }

            await Task.Delay(_pollInterval, stopping);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task[] loops;
        lock (_loops)
        {
            if (_stopped)
            {
                return; // disposed already: a second call has nothing left to stop
            }

            _stopped = true;
            loops = [.. _loops];
            _loops.Clear();
        }

        Volatile.Write(ref _subscriptions, 0);
        await _stopping.CancelAsync();

        try
        {
            await Task.WhenAll(loops);
        }
        catch (OperationCanceledException)
        {
            // Cancelled loops end this way: that is the hub stopping, not an error.
        }
        finally
        {
            _stopping.Dispose();
        }
    }
}
