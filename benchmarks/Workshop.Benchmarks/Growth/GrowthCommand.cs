using System.Text.Encodings.Web;
using System.Text.Json;
using HeapAssert;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// <c>growth &lt;kata&gt; [--steps N]</c>: runs a kata's workload in N steps and prints one JSON line per step with the
/// leak indicator's live count and bytes, after a header line that says what is measured.
/// </summary>
public static class GrowthCommand
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // type names keep their < and >
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 2)
        {
            return Usage("growth needs a kata folder name.");
        }

        var steps = 8;
        for (var i = 2; i < args.Length; i++)
        {
            if (args[i] == "--steps" && i + 1 < args.Length && int.TryParse(args[i + 1], out steps) && steps > 0)
            {
                i++;
            }
            else
            {
                return Usage($"unexpected argument \"{args[i]}\".");
            }
        }

        GrowthWorkload workload;
        try
        {
            workload = GrowthWorkload.For(args[1]);
        }
        catch (ArgumentException e)
        {
            return Usage(e.Message);
        }

        await using (workload)
        {
            Print(new GrowthHeader(workload.Kata, Flavour.Current, workload.Measure, workload.Unit));
            var step = 0;
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await workload.RunAsync(steps, operations =>
            {
                var heap = Heap.Snapshot();
                var indicator = workload.Count(heap);
                Print(new GrowthStep(++step, operations, indicator.Objects, indicator.Bytes, heap.TotalBytes));
            }, limit.Token);
        }

        return 0;
    }

    private static void Print<T>(T line)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(line, s_json));
        Console.Out.Flush();
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"{problem}{Environment.NewLine}Usage: Workshop.Benchmarks growth <kata-folder-name> [--steps N]");
        return 1;
    }

    private sealed record GrowthHeader(string Kata, string Flavour, string Measure, string Unit);

    private sealed record GrowthStep(int Step, long Operations, long LiveObjects, long LiveBytes, long HeapBytes);
}
