using System.Net;

namespace ConnectionPoolRunDry;

/// <summary>What the stock service says about an order line.</summary>
public enum Availability
{
    /// <summary>The quantity asked for is in stock.</summary>
    InStock,

    /// <summary>The item is known, but fewer are left than were asked for (sold out included).</summary>
    NotEnoughStock,

    /// <summary>The stock service does not know the SKU.</summary>
    UnknownSku,
}

/// <summary>
/// The storefront's client for the stock service. Before an order line goes into a basket, the storefront asks
/// whether the quantity is in stock; a load balancer asks the storefront, now and then, whether its stock service is
/// healthy. One instance serves every shopper at once, for the life of the storefront.
/// </summary>
public sealed class StockClient : IDisposable
{
    /// <summary>The stock service takes at most this many connections from one storefront instance.</summary>
    private const int PoolSize = 10;

    private readonly HttpClient _http;

    public StockClient(Uri stockService)
    {
        ArgumentNullException.ThrowIfNull(stockService);
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = PoolSize };
        _http = new HttpClient(handler) { BaseAddress = stockService };
    }

    /// <summary>Whether <paramref name="quantity"/> of <paramref name="sku"/> can be sold right now.</summary>
    /// <exception cref="HttpRequestException">The stock service answered with an error.</exception>
    public async Task<Availability> CheckAsync(string sku, int quantity, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sku);
        ArgumentOutOfRangeException.ThrowIfLessThan(quantity, 1);

        // KATA: every shopper's request during the sale waits on this call.
        var response = await _http.GetAsync(
            $"stock/{Uri.EscapeDataString(sku)}?quantity={quantity}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);

        return response.StatusCode switch
        {
            HttpStatusCode.OK => Availability.InStock,
            HttpStatusCode.Conflict => Availability.NotEnoughStock,
            HttpStatusCode.NotFound => Availability.UnknownSku,
            var status => throw new HttpRequestException($"The stock service answered {(int)status} {status} for {sku}.", null, status),
        };
    }

    /// <summary>The load balancer's probe: whether the stock service says it is healthy.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        var response = await _http.GetAsync("health", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.IsSuccessStatusCode;
    }

    public void Dispose() => _http.Dispose();
}
