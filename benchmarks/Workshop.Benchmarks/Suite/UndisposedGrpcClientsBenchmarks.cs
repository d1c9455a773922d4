using System.Globalization;
using BenchmarkDotNet.Attributes;
using Google.Cloud.SecretManager.V1;
using Grpc.Net.Client;
using UndisposedGrpcClients;
using UndisposedGrpcClients.Tests;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// A fresh in-process Secret Manager (the tests' Grpc.AspNetCore service) for every iteration. Stopping it at the end
/// of the iteration closes every connection, also those of channels nobody disposed, so leaked connections cannot pile
/// up across the run.
/// </summary>
public abstract class SecretManagerIteration
{
    protected const string SecretName = "projects/bench/secrets/scheduler-signing-key/versions/latest";

    protected SecretManagerServer Server { get; private set; } = null!;

    [IterationSetup]
    public void StartServer()
    {
        Server = SecretManagerServer.StartAsync().GetAwaiter().GetResult();
        Server.SetSecret(SecretName, "signing-key");
        Started();
    }

    [IterationCleanup]
    public void StopServer()
    {
        Stopping();
        Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    protected virtual void Started()
    {
    }

    protected virtual void Stopping()
    {
    }
}

/// <summary>Kata 03: one request through the scheduler proxy (read the signing key over gRPC, sign the job), 100 per iteration.</summary>
[FullRun(invocations: 100)]
public class UndisposedGrpcClientsBenchmarks : SecretManagerIteration
{
    private SchedulerProxy _proxy = null!;
    private int _request;

    [GlobalSetup]
    public void Setup() => RetainedProbe.Measure(typeof(UndisposedGrpcClientsBenchmarks), "03-undisposed-grpc-clients");

    [Benchmark(Description = "HandleAsync (1 request)")]
    public Task<SchedulerCall> Handle() =>
        _proxy.HandleAsync(new CronRequest(string.Create(CultureInfo.InvariantCulture, $"job-{++_request}"), "nightly", "europe-west1"));

    protected override void Started()
    {
        _proxy = new SchedulerProxy(Server.Address, "bench");
        Server.SetSecret(_proxy.SigningKeyName, "signing-key");
    }

    protected override void Stopping() => _proxy.Dispose();
}

/// <summary>
/// Grpc.Net.Client alone: one AccessSecretVersion call through a channel created for the call (disposed, or not)
/// against one channel shared by every call. Independent of the kata flavour, so measured once.
/// </summary>
[FlavourIndependent]
[FullRun(invocations: 100)]
public class GrpcClientReuseBenchmarks : SecretManagerIteration
{
    private static readonly AccessSecretVersionRequest s_request = new() { Name = SecretName };
    private GrpcChannel _shared = null!;

    [Benchmark(Baseline = true, Description = "shared channel")]
    public async Task<AccessSecretVersionResponse> SharedChannel() =>
        await new SecretManagerService.SecretManagerServiceClient(_shared).AccessSecretVersionAsync(s_request);

    [Benchmark(Description = "channel per call, disposed")]
    public async Task<AccessSecretVersionResponse> ChannelPerCallDisposed()
    {
        using var channel = GrpcChannel.ForAddress(Server.Address);
        return await new SecretManagerService.SecretManagerServiceClient(channel).AccessSecretVersionAsync(s_request);
    }

    [Benchmark(Description = "channel per call, never disposed")]
    public async Task<AccessSecretVersionResponse> ChannelPerCallLeaked()
    {
        var channel = GrpcChannel.ForAddress(Server.Address);
        return await new SecretManagerService.SecretManagerServiceClient(channel).AccessSecretVersionAsync(s_request);
    }

    protected override void Started() => _shared = GrpcChannel.ForAddress(Server.Address);

    protected override void Stopping() => _shared.Dispose();
}
