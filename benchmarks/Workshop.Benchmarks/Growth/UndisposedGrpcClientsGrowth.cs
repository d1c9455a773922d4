using System.Globalization;
using Grpc.Net.Client;
using HeapAssert;
using UndisposedGrpcClients;
using UndisposedGrpcClients.Tests;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// Kata 03: one proxy in front of the tests' in-process Secret Manager (Grpc.AspNetCore on Kestrel), 50 requests per
/// step. Counts live GrpcChannel objects: each one a leaked channel keeps with its handler and HTTP/2 connection.
/// </summary>
public sealed class UndisposedGrpcClientsGrowth : GrowthWorkload
{
    private const int RequestsPerStep = 50;
    private SecretManagerServer? _server;
    private SchedulerProxy? _proxy;

    public override string Kata => "03-undisposed-grpc-clients";

    public override string Measure => "live GrpcChannel";

    public override string Unit => "requests";

    public override async Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken)
    {
        _server = await SecretManagerServer.StartAsync(cancellationToken);
        _proxy = new SchedulerProxy(_server.Address, "growth");
        _server.SetSecret(_proxy.SigningKeyName, "signing-key");
        for (var step = 1; step <= steps; step++)
        {
            for (var i = 0; i < RequestsPerStep; i++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"job-{step}-{i}");
                await _proxy.HandleAsync(new CronRequest(name, "nightly", "europe-west1"), cancellationToken);
            }

            measured((long)step * RequestsPerStep);
        }
    }

    public override Indicator Count(HeapSnapshot heap)
    {
        var channels = heap.Objects<GrpcChannel>();
        return new Indicator(channels.Count, channels.Bytes);
    }

    public override async ValueTask DisposeAsync()
    {
        _proxy?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
