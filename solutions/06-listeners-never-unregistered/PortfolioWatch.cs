namespace ListenersNeverUnregistered;

/// <summary>One holding on a portfolio screen: an instrument and how many units the customer owns.</summary>
public sealed record Holding(string Symbol, decimal Units);

/// <summary>
/// The live view behind one open portfolio screen: the customer's holdings and the latest price of each, kept up to
/// date from <see cref="PriceFeed"/>. One is created when a screen opens and disposed when it closes, hundreds of
/// times a minute on a busy trading desk.
/// </summary>
public sealed class PortfolioWatch : IDisposable
{
    private readonly Lock _gate = new();
    private readonly EventHandler<PriceChangedEventArgs> _onPriceChanged;
    private readonly Dictionary<string, decimal> _units;
    private readonly Dictionary<string, decimal> _prices;
    private int _updates;
    private bool _disposed;

    public PortfolioWatch(string customerId, IReadOnlyList<Holding> holdings)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        ArgumentNullException.ThrowIfNull(holdings);

        CustomerId = customerId;
        _units = holdings.ToDictionary(h => h.Symbol, h => h.Units, StringComparer.Ordinal);
        _prices = new Dictionary<string, decimal>(_units.Count, StringComparer.Ordinal);

        // FIXED: the feed holds this screen only until Dispose removes the very delegate that was added here.
        _onPriceChanged = (_, e) => OnPriceChanged(e);
        PriceFeed.PriceChanged += _onPriceChanged;
    }

    public string CustomerId { get; }

    /// <summary>How many price changes this screen has applied to its holdings.</summary>
    public int Updates
    {
        get
        {
            lock (_gate)
            {
                return _updates;
            }
        }
    }

    /// <summary>The market value of the holdings at the latest prices; holdings with no price yet count as zero.</summary>
    public decimal MarketValue
    {
        get
        {
            lock (_gate)
            {
                return _units.Sum(h => h.Value * _prices.GetValueOrDefault(h.Key));
            }
        }
    }

    /// <summary>Closes the screen: it stops showing prices.</summary>
    public void Dispose()
    {
        PriceFeed.PriceChanged -= _onPriceChanged;
        lock (_gate)
        {
            _disposed = true;
        }
    }

    private void OnPriceChanged(PriceChangedEventArgs change)
    {
        lock (_gate)
        {
            if (_disposed || !_units.ContainsKey(change.Symbol))
            {
                return;
            }

            _prices[change.Symbol] = change.Price;
            _updates++;
        }
    }
}
