using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace ConnectionPoolRunDry.Tests;

/// <summary>
/// The memory test's load: a sale opens, and every call the storefront makes to the stock service starts at once:
/// stock checks for order lines (in stock, not enough stock, unknown SKUs) and, every tenth call, the load balancer's
/// health probe. A shopper waits <see cref="Deadline"/> for an answer, then gives up (the calls themselves go on: the
/// storefront passes no deadline down).
/// </summary>
public static class Sale
{
    /// <summary>How long a shopper waits for an answer: the incident's pool made a request wait 3,000 ms for a connection.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);

    /// <summary>The calls of one sale, in the order they start: every tenth is a health probe, the others stock checks.</summary>
    public static IReadOnlyList<Call> Calls(int count) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            if (i % 10 == 9)
            {
                return new Call(null, 0);
            }

            // Every seventh check asks for a SKU the stock service does not know; the others cycle through the catalogue
            // with quantities from 1 to 4, so that some lines are in stock and some are not.
            var sku = i % 7 == 3
                ? string.Create(CultureInfo.InvariantCulture, $"SKU-9{i:000}")
                : string.Create(CultureInfo.InvariantCulture, $"SKU-{i % StockService.Catalogue.Count + 1:0000}");
            return new Call(sku, i % 4 + 1);
        })];

    /// <summary>What the stock service answers to a check for <paramref name="quantity"/> of <paramref name="sku"/>, as the storefront should read it.</summary>
    public static Availability Expected(string sku, int quantity) =>
        !StockService.Catalogue.TryGetValue(sku, out var available) ? Availability.UnknownSku
        : quantity <= available ? Availability.InStock
        : Availability.NotEnoughStock;

    /// <summary>
    /// Starts every call of the sale at once, waits until they have all been answered or the <see cref="Deadline"/> has
    /// passed, and returns what the shoppers, the client's pool and the stock service saw at that moment. Calls still
    /// waiting are left running: nothing here holds them.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SaleResult Run(StockClient client, StockServer server, PoolMeter pool, int count)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(pool);

        var calls = Calls(count);
        var outcomes = new Outcome[calls.Count];
        var collections = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        using var answered = new CountdownEvent(calls.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            _ = ShopAsync(client, calls[i], outcomes, i, answered);
        }

        var allAnswered = answered.Wait(Deadline);
        var elapsed = clock.Elapsed;
        lock (outcomes)
        {
            return new SaleResult(
                Calls: calls.Count,
                Probes: calls.Count(c => c.Sku is null),
                AllAnsweredAfter: allAnswered ? elapsed : null,
                Correct: outcomes.Count(o => o.Kind == OutcomeKind.Correct),
                Wrong: outcomes.Count(o => o.Kind == OutcomeKind.Wrong),
                Failed: outcomes.Count(o => o.Kind == OutcomeKind.Failed),
                Waiting: outcomes.Count(o => o.Kind == OutcomeKind.Waiting),
                FirstFailure: outcomes.FirstOrDefault(o => o.Kind == OutcomeKind.Failed).Detail,
                FirstWrong: outcomes.FirstOrDefault(o => o.Kind == OutcomeKind.Wrong).Detail,
                ActiveConnections: pool.Active,
                IdleConnections: pool.Idle,
                OpenOnServer: server.Service.OpenConnections,
                MaxOpenOnServer: server.Service.MaxOpenConnections,
                AcceptedByServer: server.Service.AcceptedConnections,
                AnsweredByServer: server.Service.Requests,
                IdleOnServer: server.Service.IdleConnectionsByLastAnswer(),
                Collections: GC.CollectionCount(0) - collections);
        }
    }

    private static async Task ShopAsync(StockClient client, Call call, Outcome[] outcomes, int index, CountdownEvent answered)
    {
        Outcome outcome;
        try
        {
            if (call.Sku is null)
            {
                var healthy = await client.IsHealthyAsync();
                outcome = healthy ? new Outcome(OutcomeKind.Correct, null) : new Outcome(OutcomeKind.Wrong, "a health probe answered unhealthy");
            }
            else
            {
                var expected = Expected(call.Sku, call.Quantity);
                var availability = await client.CheckAsync(call.Sku, call.Quantity);
                outcome = availability == expected
                    ? new Outcome(OutcomeKind.Correct, null)
                    : new Outcome(OutcomeKind.Wrong, $"{call.Quantity} × {call.Sku} answered {availability}, where the stock service says {expected}");
            }
        }
        catch (Exception e)
        {
            outcome = new Outcome(OutcomeKind.Failed, $"{e.GetType().Name}: {e.Message}");
        }

        lock (outcomes)
        {
            outcomes[index] = outcome;
        }

        try
        {
            answered.Signal();
        }
        catch (ObjectDisposedException)
        {
            // The sale is over: nobody waits for this answer any more.
        }
    }

    /// <summary>One call of the sale: a stock check for <paramref name="Quantity"/> of <paramref name="Sku"/>, or a health probe (no SKU).</summary>
    public sealed record Call(string? Sku, int Quantity);

    private enum OutcomeKind
    {
        Waiting,
        Correct,
        Wrong,
        Failed,
    }

    private readonly record struct Outcome(OutcomeKind Kind, string? Detail);
}

/// <summary>What the shoppers, the client's pool and the stock service saw when the sale's deadline came (or every call was answered).</summary>
public sealed record SaleResult(
    int Calls,
    int Probes,
    TimeSpan? AllAnsweredAfter,
    int Correct,
    int Wrong,
    int Failed,
    int Waiting,
    string? FirstFailure,
    string? FirstWrong,
    long ActiveConnections,
    long IdleConnections,
    int OpenOnServer,
    int MaxOpenOnServer,
    int AcceptedByServer,
    int AnsweredByServer,
    IReadOnlyList<(string LastAnswer, int Connections)> IdleOnServer,
    int Collections)
{
    /// <summary>Calls that did not get the stock service's true answer in time: still waiting, failed, or answered wrongly.</summary>
    public int Unanswered => Waiting + Failed + Wrong;

    /// <summary>"4 × stock check answered 409 Conflict, 3 × health probe answered 200 OK", or "none".</summary>
    public string LastAnswers() => IdleOnServer.Count == 0
        ? "none"
        : string.Join(", ", IdleOnServer.Select(c => $"{c.Connections} × {c.LastAnswer}"));

    /// <summary>The pool as the runtime's metric saw it.</summary>
    public string Pool() =>
        $"http.client.open_connections: {ActiveConnections} active (checked out by a call), {IdleConnections} idle (back in the pool)";

    /// <summary>What happened to the calls, in one sentence.</summary>
    public string Outcomes()
    {
        var parts = new List<string> { $"{Correct} got their answer" };
        if (Waiting > 0)
        {
            parts.Add($"{Waiting} were still waiting");
        }

        if (Failed > 0)
        {
            parts.Add($"{Failed} failed ({FirstFailure})");
        }

        if (Wrong > 0)
        {
            parts.Add($"{Wrong} were answered wrongly ({FirstWrong})");
        }

        return string.Join(", ", parts);
    }
}
