using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConnectionPoolRunDry.Tests;

/// <summary>
/// The stock service (<see cref="StockService"/>) on Kestrel at 127.0.0.1 and a port the system picks, HTTP/1.1
/// without TLS, in the test's own process. Disposing it stops Kestrel, which closes every connection, also those that a
/// client never gave back.
/// </summary>
public sealed class StockServer : IAsyncDisposable
{
    private WebApplication? _app;

    private StockServer(StockService service) => Service = service;

    /// <summary>Where clients connect, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The service itself: its stock, its health, and its view of the connections.</summary>
    public StockService Service { get; }

    public static async Task<StockServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new StockServer(new StockService());
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddRouting();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, server.Service.CountConnections));

        var app = builder.Build();
        server.Service.Map(app, app);
        await app.StartAsync(cancellationToken);
        server._app = app;
        server.Address = new Uri(app.Urls.Single() + "/");
        return server;
    }

    /// <summary>
    /// Waits, at most <paramref name="timeout"/>, until no more than <paramref name="atMost"/> connections are open
    /// (closing a socket takes the server a moment to notice). Returns the count it saw last.
    /// </summary>
    public async Task<int> WaitForOpenConnectionsAsync(int atMost, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Service.OpenConnections > atMost && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return Service.OpenConnections;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
