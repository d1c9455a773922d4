namespace ListenersNeverUnregistered;

/// <summary>A new price for one instrument, as the market-data connection delivers it.</summary>
public sealed class PriceChangedEventArgs(string symbol, decimal price) : EventArgs
{
    public string Symbol { get; } = symbol;

    public decimal Price { get; } = price;
}

/// <summary>
/// The process-wide source of price changes: one market-data connection per process, started with the service and
/// stopped with it. Every screen that shows prices listens to it.
/// </summary>
public static class PriceFeed
{
    /// <summary>Raised for every price change, on the thread that received it.</summary>
    public static event EventHandler<PriceChangedEventArgs>? PriceChanged;

    /// <summary>Delivers one price change to every listener.</summary>
    public static void Publish(string symbol, decimal price)
    {
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        PriceChanged?.Invoke(null, new PriceChangedEventArgs(symbol, price));
    }
}
