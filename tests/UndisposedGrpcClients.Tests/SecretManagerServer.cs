using System.Collections.Concurrent;
using System.Net;
using Google.Cloud.SecretManager.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace UndisposedGrpcClients.Tests;

/// <summary>
/// A Secret Manager for the tests: the generated <c>SecretManagerService</c> served by Grpc.AspNetCore on Kestrel,
/// over HTTP/2 without TLS (h2c) on 127.0.0.1 and a port the system picks. It counts the TCP connections clients
/// keep open to it. Disposing it stops Kestrel, which closes every connection, also those nobody else closed.
/// </summary>
public sealed class SecretManagerServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ByteString> _secrets = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private int _openConnections;
    private int _totalConnections;
    private int _calls;
    private volatile bool _stalled;

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

    /// <summary>
    /// While true, every call waits until its caller gives up (a slow backend): the way to make a client cancel.
    /// </summary>
    public bool Stalled
    {
        get => _stalled;
        set => _stalled = value;
    }

    public static async Task<SecretManagerServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new SecretManagerServer();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(server);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2; // h2c with prior knowledge, as gRPC clients speak it without TLS
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
        app.MapGrpcService<Service>();
        await app.StartAsync(cancellationToken);
        server._app = app;
        server.Address = new Uri(app.Urls.Single());
        return server;
    }

    /// <summary>Stores a secret version, e.g. name "projects/p/secrets/api-key/versions/latest".</summary>
    public void SetSecret(string name, string value) => _secrets[name] = ByteString.CopyFromUtf8(value);

    /// <summary>Deletes a secret version: calls for it fail with NotFound.</summary>
    public void RemoveSecret(string name) => _secrets.TryRemove(name, out _);

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

    /// <summary>The service itself, on the base class that Grpc.Tools generated from the kata's proto.</summary>
    private sealed class Service(SecretManagerServer server) : SecretManagerService.SecretManagerServiceBase
    {
        public override async Task<AccessSecretVersionResponse> AccessSecretVersion(AccessSecretVersionRequest request, ServerCallContext context)
        {
            if (server.Stalled)
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            if (!server._secrets.TryGetValue(request.Name, out var data))
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"Secret [{request.Name}] not found or has no versions."));
            }

            Interlocked.Increment(ref server._calls);
            return new AccessSecretVersionResponse { Name = request.Name, Payload = new SecretPayload { Data = data } };
        }
    }
}
