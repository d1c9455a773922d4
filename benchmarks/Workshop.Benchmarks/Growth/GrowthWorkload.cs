using HeapAssert;

namespace Workshop.Benchmarks.Growth;

/// <summary>What one step of a growth measurement found on the heap: the leak indicator's count and shallow bytes.</summary>
public readonly record struct Indicator(long Objects, long Bytes);

/// <summary>
/// One kata's workload, cut into equal steps. After every step the runner snapshots the heap and asks the workload
/// to count its leak indicator. A workload cleans up after itself in <see cref="IAsyncDisposable.DisposeAsync"/>.
/// </summary>
public abstract class GrowthWorkload : IAsyncDisposable
{
    /// <summary>The kata folder name, e.g. "04-unbounded-caches".</summary>
    public abstract string Kata { get; }

    /// <summary>What is counted, e.g. "live ReportEntry".</summary>
    public abstract string Measure { get; }

    /// <summary>What one operation is, e.g. "requests".</summary>
    public abstract string Unit { get; }

    /// <summary>
    /// Runs all <paramref name="steps"/> steps. After each one (or, for a workload that must be measured while it is
    /// still running, at the moment each step ends) it calls <paramref name="measured"/> with the operations done so far.
    /// </summary>
    public abstract Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken);

    /// <summary>Counts the leak indicator in a snapshot.</summary>
    public abstract Indicator Count(HeapSnapshot heap);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>The workload of a kata, by its folder name.</summary>
    public static GrowthWorkload For(string kata) => kata switch
    {
        "01-disposal-in-loops" => new DisposalInLoopsGrowth(),
        "02-double-channel-writes" => new DoubleChannelWritesGrowth(),
        "03-undisposed-grpc-clients" => new UndisposedGrpcClientsGrowth(),
        "04-unbounded-caches" => new UnboundedCachesGrowth(),
        "05-lingering-tasks" => new LingeringTasksGrowth(),
        "06-listeners-never-unregistered" => new ListenersNeverUnregisteredGrowth(),
        "07-thread-local-state" => new ThreadLocalStateGrowth(),
        "08-task-per-datagram" => new TaskPerDatagramGrowth(),
        "09-connection-pool-run-dry" => new ConnectionPoolRunDryGrowth(),
        _ => throw new ArgumentException(
            $"Unknown kata \"{kata}\". Use one of: 01-disposal-in-loops, 02-double-channel-writes, "
            + "03-undisposed-grpc-clients, 04-unbounded-caches, 05-lingering-tasks, 06-listeners-never-unregistered, "
            + "07-thread-local-state, 08-task-per-datagram, 09-connection-pool-run-dry."),
    };

    /// <summary>Sums the live objects of every type whose name <paramref name="matches"/>.</summary>
    protected static Indicator CountTypes(HeapSnapshot heap, Func<string, bool> matches)
    {
        var types = heap.TopTypes(int.MaxValue).Where(t => matches(t.TypeName)).ToList();
        return new Indicator(types.Sum(t => (long)t.Count), types.Sum(t => t.Bytes));
    }
}
