using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SecretManager;

/// <summary>
/// A fake Secret Manager: an in-process Kestrel server speaking gRPC over HTTP/2 (h2c) on 127.0.0.1,
/// on a port the operating system picks. It counts the TCP connections clients keep open to it.
/// </summary>
public sealed class SecretManagerServer : IAsyncDisposable
{
    private const string AccessSecretVersionPath = "/secretmanager.v1.SecretManagerService/AccessSecretVersion";

    private readonly ConcurrentDictionary<string, ByteString> _secrets = new();
    private WebApplication? _app;
    private int _openConnections;
    private int _totalConnections;
    private int _calls;

    private SecretManagerServer()
    {
    }

    /// <summary>Where clients connect, e.g. http://127.0.0.1:41234.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>TCP connections open right now.</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    /// <summary>TCP connections accepted since the server started.</summary>
    public int TotalConnections => Volatile.Read(ref _totalConnections);

    /// <summary>AccessSecretVersion calls answered with a secret.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public static async Task<SecretManagerServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new SecretManagerServer();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2; // plaintext HTTP/2 with prior knowledge, as gRPC clients speak it
            listen.Use(next => async connection =>
            {
                Interlocked.Increment(ref server._totalConnections);
                Interlocked.Increment(ref server._openConnections);
                try
                {
                    await next(connection);
                }
                finally
                {
                    Interlocked.Decrement(ref server._openConnections);
                }
            });
        }));

        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        server._app = app;
        server.Address = new Uri(app.Urls.Single());
        return server;
    }

    /// <summary>Stores a secret version, e.g. name "projects/p/secrets/api-key/versions/latest".</summary>
    public void SetSecret(string name, string value) => _secrets[name] = ByteString.CopyFromUtf8(value);

    /// <summary>
    /// Waits, at most <paramref name="timeout"/>, until no more than <paramref name="atMost"/> connections are open
    /// (closing a socket takes the server a moment to notice). Returns the count it saw last.
    /// </summary>
    public async Task<int> WaitForOpenConnectionsAsync(int atMost, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (OpenConnections > atMost && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return OpenConnections;
    }

    /// <summary>Stops the server; Kestrel sends GOAWAY and closes every connection, whoever forgot to.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path != AccessSecretVersionPath)
        {
            await ReplyAsync(context, StatusCode.Unimplemented, $"Unknown method {context.Request.Path}", message: null);
            return;
        }

        var body = await GrpcFrame.ReadBodyAsync(context.Request.Body, context.RequestAborted);
        var request = GrpcFrame.Decode(body, AccessSecretVersionRequest.Parser);
        if (!_secrets.TryGetValue(request.Name, out var payload))
        {
            await ReplyAsync(context, StatusCode.NotFound, $"Secret [{request.Name}] not found.", message: null);
            return;
        }

        Interlocked.Increment(ref _calls);
        var reply = new AccessSecretVersionResponse { Name = request.Name, Payload = payload };
        await ReplyAsync(context, StatusCode.OK, detail: null, reply);
    }

    private static async Task ReplyAsync(HttpContext context, StatusCode status, string? detail, IMessage? message)
    {
        var response = context.Response;
        if (!response.SupportsTrailers())
        {
            throw new InvalidOperationException("gRPC needs response trailers, which this connection does not support.");
        }
        response.StatusCode = StatusCodes.Status200OK; // gRPC errors travel in the trailers, not the HTTP status
        response.ContentType = "application/grpc";
        if (message is not null)
        {
            await response.Body.WriteAsync(GrpcFrame.Encode(message), context.RequestAborted);
        }
        response.AppendTrailer("grpc-status", ((int)status).ToString(CultureInfo.InvariantCulture));
        if (detail is not null)
        {
            response.AppendTrailer("grpc-message", Uri.EscapeDataString(detail));
        }
    }
}
