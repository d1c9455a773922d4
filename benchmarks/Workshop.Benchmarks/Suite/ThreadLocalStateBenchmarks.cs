using System.Globalization;
using BenchmarkDotNet.Attributes;
using ThreadLocalState;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// Kata 07: one statement request, run 100 at a time on the benchmark's thread, alternating a signed-in and an
/// anonymous caller. Each request includes the kata's one-millisecond "database call", which dominates the time; the
/// point of this class is the allocation per request and what stays alive (the two probe columns).
/// </summary>
[FullRun(invocations: 4)]
public class ThreadLocalStateBenchmarks
{
    private const int Requests = 100;
    private readonly StatementService _service = new();
    private StatementRequest[] _requests = null!;

    [GlobalSetup]
    public void Setup()
    {
        RetainedProbe.Measure(typeof(ThreadLocalStateBenchmarks), "07-thread-local-state");
        _requests = [.. Enumerable.Range(0, Requests).Select(i => new StatementRequest(
            i % 2 == 0 ? string.Create(CultureInfo.InvariantCulture, $"user-{i % 50}") : null,
            string.Create(CultureInfo.InvariantCulture, $"acct-{i % 50}")))];
    }

    [Benchmark(OperationsPerInvoke = Requests, Description = "Handle (half signed in, half anonymous)")]
    public int Handle()
    {
        var length = 0;
        foreach (var request in _requests)
        {
            length += _service.Handle(request).Body.Length;
        }

        return length;
    }
}
