using System.Globalization;
using HeapAssert;
using ThreadLocalState;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// Kata 07: 1,000 statement requests per step on 8 thread-pool workers: three in four signed in (one in ten of those for
/// a closed account, which fails), one in four anonymous. Counts the request contexts still alive.
/// </summary>
public sealed class ThreadLocalStateGrowth : GrowthWorkload
{
    private const int RequestsPerStep = 1_000;

    public override string Kata => "07-thread-local-state";

    public override string Measure => "live RequestContext";

    public override string Unit => "requests";

    public override Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken) => Task.Run(() =>
    {
        var service = new StatementService();
        var options = new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken };
        for (var step = 1; step <= steps; step++)
        {
            Parallel.For(0, RequestsPerStep, options, i =>
            {
                var user = i % 4 == 3 ? null : string.Create(CultureInfo.InvariantCulture, $"user-{i % 50}");
                var account = user is not null && i % 10 == 0 ? $"closed-{i}" : $"acct-{i % 50}";
                try
                {
                    service.Handle(new StatementRequest(user, account));
                }
                catch (AccountClosedException)
                {
                    // A closed account fails the request, as in the kata's test.
                }
            });

            measured((long)step * RequestsPerStep);
        }
    }, cancellationToken);

    public override Indicator Count(HeapSnapshot heap)
    {
        var contexts = heap.Objects<RequestContext>();
        return new Indicator(contexts.Count, contexts.Bytes);
    }
}
