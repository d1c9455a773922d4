using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;

namespace ConnectionPoolRunDry.Tests;

/// <summary>
/// The stock service that the storefront calls, over HTTP/1.1: one request at a time on a connection, as a database
/// connection runs one query at a time. It answers
/// <list type="bullet">
/// <item><c>GET /stock/{sku}?quantity=n</c>: 200 when n are in stock, 409 when fewer are left, 404 for an unknown SKU,
/// each with a small JSON body;</item>
/// <item><c>GET /health</c>: 200 <c>Healthy</c>, or 503 <c>Unhealthy</c> while <see cref="Healthy"/> is false.</item>
/// </list>
/// It also keeps the server's view of every connection: how many are open, the most that were open at once, how many it
/// accepted, and what each open one last answered. The workshop's tests, benchmarks and notebook host it on Kestrel.
/// </summary>
public sealed class StockService
{
    /// <summary>The catalogue: 40 SKUs, from SKU-0001 to SKU-0040; every seventh is sold out.</summary>
    public static IReadOnlyDictionary<string, int> Catalogue { get; } = Enumerable.Range(1, 40).ToDictionary(
        i => string.Create(CultureInfo.InvariantCulture, $"SKU-{i:0000}"),
        i => i % 7 == 0 ? 0 : i % 5 + 1);

    private readonly ConcurrentDictionary<string, ConnectionState> _connections = new(StringComparer.Ordinal);
    private int _open;
    private int _maxOpen;
    private int _accepted;
    private int _requests;
    private volatile bool _healthy = true;
    private volatile bool _stalled;

    /// <summary>Whether <c>/health</c> answers 200 (true) or 503 (false).</summary>
    public bool Healthy
    {
        get => _healthy;
        set => _healthy = value;
    }

    /// <summary>While true, every request waits until its caller gives up: the way to make a client cancel.</summary>
    public bool Stalled
    {
        get => _stalled;
        set => _stalled = value;
    }

    /// <summary>TCP connections open right now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>The most TCP connections that were open at the same time.</summary>
    public int MaxOpenConnections => Volatile.Read(ref _maxOpen);

    /// <summary>TCP connections accepted since the service started.</summary>
    public int AcceptedConnections => Volatile.Read(ref _accepted);

    /// <summary>Requests answered since the service started.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>
    /// The connections open right now that have answered their last request and wait for the next one, grouped by what
    /// that last answer was, e.g. <c>("stock check answered 409 Conflict", 4)</c>, the largest group first.
    /// </summary>
    public IReadOnlyList<(string LastAnswer, int Connections)> IdleConnectionsByLastAnswer() =>
        [.. _connections.Values
            .Where(c => !c.InFlight && c.LastAnswer is not null)
            .GroupBy(c => c.LastAnswer!)
            .Select(g => (g.Key, g.Count()))
            .OrderByDescending(g => g.Item2)
            .ThenBy(g => g.Key, StringComparer.Ordinal)];

    /// <summary>Counts the connections of a Kestrel endpoint: call it in <c>ListenOptions</c>' configuration.</summary>
    public void CountConnections(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Protocols = HttpProtocols.Http1;
        listen.Use(next => async connection =>
        {
            _connections[connection.ConnectionId] = new ConnectionState();
            Interlocked.Increment(ref _accepted);
            var open = Interlocked.Increment(ref _open);
            for (var max = Volatile.Read(ref _maxOpen); open > max; max = Volatile.Read(ref _maxOpen))
            {
                if (Interlocked.CompareExchange(ref _maxOpen, open, max) == max)
                {
                    break;
                }
            }

            try
            {
                await next(connection);
            }
            finally
            {
                Interlocked.Decrement(ref _open);
                _connections.TryRemove(connection.ConnectionId, out _);
            }
        });
    }

    /// <summary>Maps the service's endpoints, and what each connection last answered.</summary>
    public void Map(IApplicationBuilder app, IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(endpoints);
        app.Use(async (context, next) =>
        {
            var state = _connections.GetValueOrDefault(context.Connection.Id);
            if (state is not null)
            {
                state.InFlight = true;
            }

            try
            {
                await next(context);
            }
            finally
            {
                Interlocked.Increment(ref _requests);
                if (state is not null)
                {
                    var kind = context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal) ? "health probe" : "stock check";
                    var status = (HttpStatusCode)context.Response.StatusCode;
                    state.LastAnswer = string.Create(CultureInfo.InvariantCulture, $"{kind} answered {(int)status} {ReasonPhrases.GetReasonPhrase((int)status)}");
                    state.InFlight = false;
                }
            }
        });

        endpoints.MapGet("/stock/{sku}", async (HttpContext context, string sku, int? quantity) =>
        {
            await WaitIfStalledAsync(context);
            var wanted = quantity ?? 1;
            if (!Catalogue.TryGetValue(sku, out var available))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsJsonAsync(new Problem("Unknown SKU", sku, wanted, 0), context.RequestAborted);
                return;
            }

            context.Response.StatusCode = wanted <= available ? StatusCodes.Status200OK : StatusCodes.Status409Conflict;
            object body = wanted <= available ? new Level(sku, wanted, available) : new Problem("Not enough stock", sku, wanted, available);
            await context.Response.WriteAsJsonAsync(body, context.RequestAborted);
        });

        endpoints.MapGet("/health", async context =>
        {
            await WaitIfStalledAsync(context);
            context.Response.StatusCode = Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync(Healthy ? "Healthy" : "Unhealthy", context.RequestAborted);
        });
    }

    private async Task WaitIfStalledAsync(HttpContext context)
    {
        if (Stalled)
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
    }

    private sealed class ConnectionState
    {
        public volatile bool InFlight;
        public volatile string? LastAnswer;
    }

    private sealed record Level(string Sku, int Requested, int Available);

    private sealed record Problem(string Title, string Sku, int Requested, int Available);
}
