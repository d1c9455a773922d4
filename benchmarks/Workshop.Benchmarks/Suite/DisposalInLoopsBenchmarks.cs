using BenchmarkDotNet.Attributes;
using DisposalInLoops;
using DisposalInLoops.Tests;

namespace Workshop.Benchmarks.Suite;

/// <summary>Kata 01: one nightly batch of 1,000 small meter files, read from disk. One operation is the whole batch.</summary>
public class DisposalInLoopsBenchmarks
{
    private MeterBatch _files = null!;
    private MeterReadingImporter _importer = null!;

    [GlobalSetup]
    public void Setup()
    {
        RetainedProbe.Measure(typeof(DisposalInLoopsBenchmarks), "01-disposal-in-loops");
        _files = MeterBatch.Create(1_000);
        _importer = new MeterReadingImporter();
    }

    [GlobalCleanup]
    public void Cleanup() => _files.Dispose();

    [Benchmark(Description = "ImportBatch (1,000 files)")]
    public BatchSummary ImportBatch() => _importer.ImportBatch(_files.Paths);
}

/// <summary>
/// The closest .NET analogue of the Go benchmark that seed 004 quotes (an empty <c>defer</c> in a 1,000-iteration loop):
/// 1,000 cheap disposable objects, disposed at the end through a cleanup list, or each one by <c>using</c> in its own iteration.
/// No kata code runs here, so it is measured once.
/// </summary>
[FlavourIndependent]
public class DeferredCleanupBenchmarks
{
    private const int Iterations = 1_000;

    [Benchmark(Baseline = true, Description = "using per iteration")]
    public int UsingPerIteration()
    {
        var sum = 0;
        for (var i = 0; i < Iterations; i++)
        {
            using var resource = new Resource(i);
            sum += resource.Value;
        }

        return sum;
    }

    [Benchmark(Description = "cleanup list, disposed at the end")]
    public int CleanupListAtTheEnd()
    {
        var sum = 0;
        var cleanup = new List<IDisposable>();
        try
        {
            for (var i = 0; i < Iterations; i++)
            {
                var resource = new Resource(i);
                cleanup.Add(resource);
                sum += resource.Value;
            }
        }
        finally
        {
            foreach (var resource in cleanup)
            {
                resource.Dispose();
            }
        }

        return sum;
    }

    private sealed class Resource(int value) : IDisposable
    {
        public int Value { get; private set; } = value;

        public void Dispose() => Value = 0;
    }
}
