using HeapAssert.DotMemoryStyle;

namespace ConnectionPoolRunDry.Tests;

/// <summary>
/// The kata's memory check as a dotMemory Unit test, ported by one <c>using</c>: it runs under a plain <c>dotnet test</c>.
/// A request that waits for a pooled connection is an <c>HttpConnectionWaiter</c> in the pool's queue, a type internal to
/// System.Net.Http, so it is matched by name.
/// </summary>
public sealed class DotMemoryStyleTests
{
    private const int Calls = 50;

    [Fact]
    [Trait("Memory", "leak")]
    [DotMemoryUnit(FailIfRunWithoutSupport = true)]
    public async Task No_call_is_left_waiting_for_a_connection_after_a_sale()
    {
        await Task.Yield();
        await using var server = await StockServer.StartAsync(TestContext.Current.CancellationToken);
        using var pool = new PoolMeter(server.Address.Port);
        var client = new StockClient(server.Address);
        try
        {
            var sale = Sale.Run(client, server, pool, Calls);

            // The shoppers have had their answers, or have given up: nothing may still wait for a connection.
            dotMemory.Check(memory =>
                Assert.True(memory.GetObjects(where => where.Type.Like("System.Net.Http.HttpConnectionWaiter*")).ObjectsCount == 0,
                    $"{Calls} calls went to the stock service through a pool of 10 connections, and every one must have its answer within " +
                    $"{Sale.Deadline.TotalSeconds:0} s; a call still queued for a connection after that waits for one that no call gave back"));

            // The heap check's own collection may have let the queue through: the shoppers had given up by then.
            if (sale.Unanswered > 0)
            {
                Leak.Fail(
                    $"{sale.Unanswered} of {sale.Calls} calls of the sale got no answer from the stock service within {Sale.Deadline.TotalSeconds:0} s, expected none",
                    $"Of the {sale.Calls} calls, {sale.Outcomes()}; the pool had {sale.Pool()}.",
                    because: "every call of the sale must get the stock service's own answer while its shopper still waits for it");
            }
        }
        finally
        {
            client.Dispose();
        }
    }
}
