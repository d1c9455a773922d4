using System.Globalization;
using BenchmarkDotNet.Attributes;
using ConnectionPoolRunDry;
using ConnectionPoolRunDry.Tests;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// Kata 09: one stock check through the storefront's client, ten per iteration, each iteration on a fresh stock service
/// (the tests' ASP.NET Core service on Kestrel, HTTP/1.1) and a fresh client with its pool of 10 connections. Ten calls
/// is as far as the leaky client goes before its pool runs dry; within them, each of its calls opens a connection of its
/// own, where the fixed client reuses the first one. Stopping the service closes every connection at the end of the
/// iteration, also those nobody gave back.
/// </summary>
[FullRun(invocations: 10)]
public class ConnectionPoolRunDryBenchmarks
{
    private StockServer _server = null!;
    private StockClient _client = null!;
    private int _call;

    [GlobalSetup]
    public void Setup() => RetainedProbe.Measure(typeof(ConnectionPoolRunDryBenchmarks), "09-connection-pool-run-dry");

    [IterationSetup]
    public void StartService()
    {
        _server = StockServer.StartAsync().GetAwaiter().GetResult();
        _client = new StockClient(_server.Address);
    }

    [IterationCleanup]
    public void StopService()
    {
        _client.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "CheckAsync (1 stock check)")]
    public Task<Availability> Check() =>
        _client.CheckAsync(string.Create(CultureInfo.InvariantCulture, $"SKU-{++_call % 40 + 1:0000}"), 1);
}
