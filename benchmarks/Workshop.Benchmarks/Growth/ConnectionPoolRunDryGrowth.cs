using ConnectionPoolRunDry;
using ConnectionPoolRunDry.Tests;
using HeapAssert;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// Kata 09: one storefront client (a pool of 10 connections) in front of the tests' in-process stock service (ASP.NET
/// Core on Kestrel, HTTP/1.1). A step starts 50 calls at once (the memory test's mix of stock checks and health probes)
/// and gives them half a second to be answered. Counts the calls still queued for a connection: live
/// <c>HttpConnectionWaiter</c> objects in the pool's queue.
/// </summary>
public sealed class ConnectionPoolRunDryGrowth : GrowthWorkload
{
    private const int CallsPerStep = 50;
    private static readonly TimeSpan s_patience = TimeSpan.FromMilliseconds(500);
    private StockServer? _server;
    private StockClient? _client;

    public override string Kata => "09-connection-pool-run-dry";

    public override string Measure => "calls waiting for a connection";

    public override string Unit => "calls";

    public override async Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken)
    {
        _server = await StockServer.StartAsync(cancellationToken);
        _client = new StockClient(_server.Address);
        var calls = Sale.Calls(CallsPerStep);
        for (var step = 1; step <= steps; step++)
        {
            var answered = new CountdownEvent(calls.Count);
            foreach (var call in calls)
            {
                _ = AnswerAsync(_client, call, answered, cancellationToken);
            }

            // Calls that are still waiting stay in the pool's queue: they are what this workload measures.
            await Task.Run(() => answered.Wait(s_patience, cancellationToken), cancellationToken);
            measured((long)step * calls.Count);
        }
    }

    public override Indicator Count(HeapSnapshot heap)
    {
        var waiting = heap.ObjectsNamed("System.Net.Http.HttpConnectionWaiter");
        return new Indicator(waiting.Count, waiting.Bytes);
    }

    public override async ValueTask DisposeAsync()
    {
        _client?.Dispose(); // cancels the calls still waiting
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private static async Task AnswerAsync(StockClient client, Sale.Call call, CountdownEvent answered, CancellationToken cancellationToken)
    {
        try
        {
            _ = call.Sku is null
                ? await client.IsHealthyAsync(cancellationToken)
                : await client.CheckAsync(call.Sku, call.Quantity, cancellationToken) == Sale.Expected(call.Sku, call.Quantity);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            // The workload is over and the client disposed: the call gives up.
        }
        finally
        {
            answered.Signal();
        }
    }
}
