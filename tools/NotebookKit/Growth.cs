using System.Text.Json;

namespace NotebookKit;

/// <summary>One step of a growth run: how much work was done so far and what was alive after it.</summary>
/// <param name="Step">1, 2, 3 …</param>
/// <param name="Operations">The work done so far, in the series' unit (requests, files, jobs …).</param>
/// <param name="LiveObjects">How many of the kata's leak-indicator objects were alive after the step.</param>
/// <param name="LiveBytes">Their shallow bytes.</param>
/// <param name="HeapBytes">The bytes of every live object in the process.</param>
public sealed record GrowthPoint(int Step, long Operations, long LiveObjects, long LiveBytes, long HeapBytes);

/// <summary>A growth run of one kata, leaky (<c>katas</c>) or fixed (<c>solutions</c>).</summary>
/// <param name="Kata">The kata folder name, e.g. <c>04-unbounded-caches</c>.</param>
/// <param name="Flavour"><c>katas</c> or <c>solutions</c>.</param>
/// <param name="Measure">What <see cref="GrowthPoint.LiveObjects"/> counts, e.g. <c>live ReportEntry</c>.</param>
/// <param name="Unit">What <see cref="GrowthPoint.Operations"/> counts, e.g. <c>requests</c>.</param>
/// <param name="Points">One point per step.</param>
public sealed record GrowthSeries(string Kata, string Flavour, string Measure, string Unit, IReadOnlyList<GrowthPoint> Points);

/// <summary>Runs a kata's workload step by step in a fresh process and records what stays alive after each step.</summary>
public static class Growth
{
    private const string Project = "benchmarks/Workshop.Benchmarks";
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(10);
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Runs <c>Workshop.Benchmarks growth &lt;kata&gt; --steps N</c> for the kata or, with <paramref name="solution"/>,
    /// for its solution, and returns the series it printed. Builds the benchmarks project first when its build is missing
    /// or older than the sources it runs (the kata's or solution's folder, the benchmarks, the heap engine), so a kata
    /// you have just changed is measured as it is now.
    /// </summary>
    public static GrowthSeries Measure(string kata, bool solution = false, int steps = 8)
    {
        ArgumentException.ThrowIfNullOrEmpty(kata);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);

        var flavour = solution ? "solutions" : "katas";
        var dll = $"{Project}/bin/{(solution ? "solutions/" : "")}Debug/net10.0/Workshop.Benchmarks.dll";
        if (Workshop.IsStale(dll, $"{flavour}/{kata}", Project, "tools/HeapAssert"))
        {
            var build = Shell.Execute("dotnet", $"build {Project}" + (solution ? " -p:UseSolutions=true" : ""), s_limit);
            if (build.ExitCode != 0 || !File.Exists(Workshop.PathOf(dll)))
            {
                throw new InvalidOperationException($"Building {Project} ({flavour}) failed:{Environment.NewLine}{Tail(build.Output, 30)}");
            }
        }

        return RunCache.GetOrRun($"growth-{kata}-{flavour}-{steps}", dll, () =>
        {
            var run = Shell.Execute("dotnet", $"exec {dll} growth {kata} --steps {steps}", s_limit);
            if (run.TimedOut || run.ExitCode != 0)
            {
                var why = run.TimedOut ? $"was stopped after {s_limit.TotalMinutes:0} minutes" : $"ended with exit code {run.ExitCode}";
                throw new InvalidOperationException($"The growth run of {kata} ({flavour}) {why}:{Environment.NewLine}{Tail(run.Output, 30)}");
            }

            return Parse(run.StandardOutput, $"{kata} ({flavour})");
        });
    }

    /// <summary>Reads the growth mode's output: a header object, then one object per step, one JSON object per line.</summary>
    internal static GrowthSeries Parse(string output, string what)
    {
        Header? header = null;
        var points = new List<GrowthPoint>();
        foreach (var line in output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            using var json = JsonDocument.Parse(line);
            if (json.RootElement.TryGetProperty("step", out _))
            {
                points.Add(json.RootElement.Deserialize<GrowthPoint>(s_json)!);
            }
            else if (json.RootElement.TryGetProperty("kata", out _))
            {
                header = json.RootElement.Deserialize<Header>(s_json);
            }
        }

        if (header is null || points.Count == 0)
        {
            throw new InvalidOperationException($"The growth run of {what} printed no header or no steps:{Environment.NewLine}{Tail(output, 30)}");
        }

        return new GrowthSeries(header.Kata, header.Flavour, header.Measure, header.Unit, points);
    }

    private static string Tail(string text, int lines) =>
        string.Join(Environment.NewLine, text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).TakeLast(lines));

    private sealed record Header(string Kata, string Flavour, string Measure, string Unit);
}
