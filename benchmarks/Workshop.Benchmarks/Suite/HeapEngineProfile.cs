using System.Diagnostics;
using System.Globalization;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// <c>profile-heap-engine [--snapshots N]</c>: where one heap assertion's time goes. Builds the engine benchmark's heap,
/// takes N assertions in a row (after one to start the helper), and prints, for every step the engine times (the helper's
/// steps and the test process's), the median, the fastest and the slowest, then the assertion as the caller sees it.
/// The machine's load average is printed with it: on a shared machine the figures mean little without it.
/// </summary>
public static class HeapEngineProfile
{
    public static int Run(string[] args)
    {
        var count = args is [_, "--snapshots", var n] && int.TryParse(n, out var parsed) && parsed > 0 ? parsed : 30;
        var kept = HeapEngineBenchmarks.BuildHeap();
        _ = HeapEngineBenchmarks.Assertion(out _); // the helper starts once, as for the first assertion of a test run

        var steps = new Dictionary<string, List<double>>();
        var cpu = new Dictionary<string, List<double>>();
        var order = new List<string>();
        var totals = new List<double>();
        var objects = 0;
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var heap = HeapEngineBenchmarks.Assertion(out var markers);
            totals.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (markers != 10_000)
            {
                Console.Error.WriteLine($"Counted {markers} markers, not 10,000: the engine is wrong.");
                return 1;
            }

            objects = heap.ObjectCount;
            foreach (var timing in heap.Timings)
            {
                if (!steps.TryGetValue(timing.Step, out var list))
                {
                    steps[timing.Step] = list = [];
                    cpu[timing.Step] = [];
                    order.Add(timing.Step);
                }

                list.Add(timing.Milliseconds);
                cpu[timing.Step].Add(timing.CpuMilliseconds);
            }
        }

        GC.KeepAlive(kept);
        Console.WriteLine($"{count} assertions on {objects:N0} live objects; load average {LoadAverage()}");
        Console.WriteLine("Milliseconds: wall-clock median, fastest and slowest; CPU median (the helper's CPU time, which waiting for a core does not inflate).");
        Console.WriteLine($"| {"step",-66} | median | fastest | slowest | CPU median |");
        Console.WriteLine($"|{new string('-', 68)}|-------:|--------:|--------:|-----------:|");
        foreach (var step in order)
        {
            Console.WriteLine(Row(step, steps[step], cpu[step]));
        }

        Console.WriteLine(Row("**the assertion, as the caller sees it**", totals, []));
        return 0;
    }

    private static string Row(string step, List<double> values, List<double> cpu)
    {
        var sorted = values.Order().ToArray();
        var cpuMedian = cpu.Count > 0 && !double.IsNaN(cpu[0]) ? Median([.. cpu.Order()]).ToString("0.0", CultureInfo.InvariantCulture) : "";
        return string.Create(CultureInfo.InvariantCulture, $"| {step,-66} | {Median(sorted),6:0.0} | {sorted[0],7:0.0} | {sorted[^1],7:0.0} | {cpuMedian,10} |");
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
