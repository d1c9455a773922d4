namespace ConnectionPoolRunDry.Tests;

public sealed class StockClientTests
{
    /// <summary>The stock service takes at most this many connections from one storefront, as a database server takes at most max_connections.</summary>
    private const int ConnectionLimit = 10;

    [Fact]
    public async Task Tells_in_stock_from_not_enough_stock_and_unknown_SKUs()
    {
        await using var server = await StockServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = new StockClient(server.Address);

        var answers = Bounded.Run(async cancellationToken => new[]
        {
            await client.CheckAsync("SKU-0001", 2, cancellationToken),
            await client.CheckAsync("SKU-0001", 3, cancellationToken),
            await client.CheckAsync("SKU-0007", 1, cancellationToken),
            await client.CheckAsync("SKU-9999", 1, cancellationToken),
        }, TimeSpan.FromSeconds(20), "Four stock checks");

        answers.Should().Equal(
            [Availability.InStock, Availability.NotEnoughStock, Availability.NotEnoughStock, Availability.UnknownSku],
            "SKU-0001 has 2 in stock, SKU-0007 is sold out and SKU-9999 does not exist");
        server.Service.Requests.Should().Be(4, "every check asks the stock service");
    }

    [Fact]
    public async Task Reports_whether_the_stock_service_is_healthy()
    {
        await using var server = await StockServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = new StockClient(server.Address);

        var (healthy, unhealthy) = Bounded.Run(async cancellationToken =>
        {
            var healthy = await client.IsHealthyAsync(cancellationToken);
            server.Service.Healthy = false;
            return (healthy, await client.IsHealthyAsync(cancellationToken));
        }, TimeSpan.FromSeconds(20), "Two health probes");

        healthy.Should().BeTrue();
        unhealthy.Should().BeFalse("the stock service answered 503 Service Unavailable");
    }

    [Fact]
    public async Task Serves_ten_shoppers_at_once_on_ten_connections_at_most()
    {
        await using var server = await StockServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = new StockClient(server.Address);
        var skus = StockService.Catalogue.Keys.Order(StringComparer.Ordinal).Take(ConnectionLimit).ToArray();

        var answers = Bounded.Run(
            cancellationToken => Task.WhenAll(skus.Select(sku => client.CheckAsync(sku, 1, cancellationToken))),
            TimeSpan.FromSeconds(20),
            $"{ConnectionLimit} concurrent stock checks");

        answers.Should().Equal(skus.Select(sku => Sale.Expected(sku, 1)));
        server.Service.MaxOpenConnections.Should().BeLessThanOrEqualTo(
            ConnectionLimit, "the stock service takes at most {0} connections from one storefront", ConnectionLimit);
    }

    [Fact]
    public async Task A_shopper_who_gives_up_cancels_the_check()
    {
        await using var server = await StockServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = new StockClient(server.Address);
        server.Service.Stalled = true;

        var failure = Bounded.Run(async cancellationToken =>
        {
            using var shopper = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            shopper.CancelAfter(TimeSpan.FromMilliseconds(100));
            try
            {
                await client.CheckAsync("SKU-0001", 1, shopper.Token);
                return null;
            }
            catch (OperationCanceledException e)
            {
                return e;
            }
        }, TimeSpan.FromSeconds(20), "A stock check that its shopper gives up on");

        failure.Should().NotBeNull("the shopper cancelled the check while the stock service was still working on it");
    }

    [Fact]
    [Trait("Memory", "leak")]
    public async Task A_sale_gets_every_answer_in_time_from_ten_connections()
    {
        // Start on a fresh stack: the test that ran before may still be on this thread's stack, with its locals.
        await Task.Yield();
        await using var server = await StockServer.StartAsync(TestContext.Current.CancellationToken);
        using var pool = new PoolMeter(server.Address.Port);
        var client = new StockClient(server.Address);
        const int calls = 200;
        SaleResult sale;
        try
        {
            sale = Sale.Run(client, server, pool, calls);

            // Whatever is still waiting now waits for a connection; the heap shows what holds it.
            var heap = Heap.Snapshot();
            var stillPending = heap.PendingAsyncMethods(typeof(StockClient).Assembly).Sum(p => p.Count);
            heap.Should().After($"a sale of {calls} calls through one StockClient").HaveNoLingeringWorkFrom(
                typeof(StockClient).Assembly, because: Waiting(sale, stillPending));
        }
        finally
        {
            client.Dispose();
        }

        if (sale.Unanswered > 0 && (sale.Waiting > 0 || sale.Failed > 0 || sale.AnsweredByServer < sale.Calls))
        {
            Leak.Fail(
                $"{sale.Unanswered} of {sale.Calls} calls of the sale got no answer from the stock service within {Sale.Deadline.TotalSeconds:0} s, expected none",
                $"Of the {sale.Calls} calls, {sale.Outcomes()}. The stock service answered {sale.AnsweredByServer} requests in all. " +
                $"When the shoppers gave up, the client's pool had {sale.Pool()}; on the stock service's side, " +
                $"the connections waiting for their next request had last answered: {sale.LastAnswers()}. {sale.Collections} garbage " +
                "collections ran during the sale.",
                because: $"a call that fails, or answers without asking, after waiting for a connection has not been served any better " +
                         $"than one that is still waiting; the pool's connections must come back to it after each call");
        }

        if (sale.Wrong > 0)
        {
            Assert.Fail($"{sale.Wrong} calls of the sale were answered wrongly ({sale.FirstWrong}): the storefront must pass on what the stock service says");
        }

        if (sale.MaxOpenOnServer > ConnectionLimit)
        {
            Leak.Fail(
                $"{sale.MaxOpenOnServer} connections from the storefront were open at once on the stock service, expected at most {ConnectionLimit}",
                $"It accepted {sale.AcceptedByServer} connections for {sale.Calls} calls; when the sale ended, {sale.OpenOnServer} were still " +
                $"open and the client's pool had {sale.Pool()}.",
                because: $"the stock service takes at most {ConnectionLimit} connections from one storefront, as a database server takes at most " +
                         $"max_connections from all its clients: a larger pool on the storefront's side only moves the wall");
        }

        if (sale.AcceptedByServer > ConnectionLimit)
        {
            Leak.Fail(
                $"the stock service accepted {sale.AcceptedByServer} connections from the storefront during the sale, expected at most {ConnectionLimit}",
                $"At most {sale.MaxOpenOnServer} were open at once, and {sale.AcceptedByServer - sale.OpenOnServer} were closed before the sale " +
                $"ended, each after answering its last request, instead of serving the next call. {sale.Collections} garbage collections ran " +
                "during the sale.",
                because: $"a connection that goes back to the pool after each call serves the next one: {sale.Calls} calls need no more than " +
                         $"{ConnectionLimit} connections");
        }
    }

    private static string Waiting(SaleResult sale, int stillPending)
    {
        var gcNote = sale.Waiting > stillPending
            ? $". This snapshot forced a garbage collection, and {sale.Waiting - stillPending} of the waiting calls got through the moment it ran"
            : "";
        return $"every call of the sale must get its answer within {Sale.Deadline.TotalSeconds:0} s, and when the shoppers gave up, " +
               $"{sale.Waiting} of the {sale.Calls} calls were still waiting for a connection. The client's pool had " +
               $"{sale.Pool()}: every connection was checked out, by calls that had had their answer long before. On the stock " +
               $"service's side, each connection had answered its last request and was waiting for the next one, which never came " +
               $"({sale.LastAnswers()}). {sale.Collections} garbage collections ran during those {Sale.Deadline.TotalSeconds:0} s{gcNote}";
    }
}
