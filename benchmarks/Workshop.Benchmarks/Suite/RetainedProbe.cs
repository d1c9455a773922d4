using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using HeapAssert;
using Workshop.Benchmarks.Growth;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// The "what stays alive" measurement. Once per benchmark class and flavour, in the benchmark's own process (its
/// GlobalSetup), it runs one step of the kata's growth workload between two heap snapshots and writes down the leak
/// indicator and how much the live heap grew. The host reads it back into two extra columns.
/// </summary>
public static class RetainedProbe
{
    /// <summary>Where the measurements go: BenchmarkDotNet.Artifacts/probes next to the project (git-ignored).</summary>
    public static string Folder { get; } = Path.Combine(Paths.Project, "BenchmarkDotNet.Artifacts", "probes");

    /// <summary>Runs the probe for <paramref name="kata"/> unless this class and flavour already have one.</summary>
    public static void Measure(Type benchmarkClass, string kata)
    {
        var folder = Folder;
        var file = FileFor(folder, benchmarkClass.Name, Flavour.JobName);
        if (File.Exists(file))
        {
            return;
        }

        var line = Task.Run(async () =>
        {
            await using var workload = GrowthWorkload.For(kata);
            var before = Heap.Snapshot();
            long operations = 0;
            Indicator indicator = default;
            long heapBytes = 0;
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await workload.RunAsync(1, done =>
            {
                var after = Heap.Snapshot();
                operations = done;
                indicator = workload.Count(after);
                heapBytes = after.TotalBytes;
            }, limit.Token);
            var retained = heapBytes - before.TotalBytes;
            return string.Create(CultureInfo.InvariantCulture,
                $"{indicator.Objects:N0} {workload.Measure} after {operations:N0} {workload.Unit}\t{Size(retained)}");
        }).GetAwaiter().GetResult();

        Directory.CreateDirectory(folder);
        File.WriteAllText(file, line);
    }

    internal static string FileFor(string folder, string benchmarkClass, string job) => Path.Combine(folder, $"{benchmarkClass}.{job}.txt");

    private static string Size(long bytes) => bytes switch
    {
        < 0 => "0 B",
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} B"),
        < 10_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:N1} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024.0:N1} MB"),
    };
}

/// <summary>A column that shows one field of the probe written for a benchmark's class and job.</summary>
public sealed class RetainedColumn(string folder, string name, int index, string legend) : IColumn
{
    public static IColumn[] For(string folder) =>
    [
        new RetainedColumn(folder, "Leak indicator", 0, "Leak-indicator objects still alive after one workload step (see benchmarks/README.md)"),
        new RetainedColumn(folder, "Heap growth", 1, "How much the live heap grew over that step, after a full GC"),
    ];

    public string Id => $"{nameof(RetainedColumn)}.{name}";

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => index;

    public bool IsNumeric => false;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var file = RetainedProbe.FileFor(folder, benchmarkCase.Descriptor.Type.Name, benchmarkCase.Job.Id);
        if (!File.Exists(file))
        {
            return "-";
        }

        var parts = File.ReadAllText(file).Split('\t');
        return parts.Length > index ? parts[index] : "-";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}
