using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// The machine's load average while a benchmark ran: its one-minute figure when the benchmark's process started and when
/// it ended. Timings taken on a shared machine mean little without it. A class opts in by calling <see cref="Started"/>
/// and <see cref="Ended"/> from its setup and cleanup; the host shows it in a "Load average" column (Linux only).
/// </summary>
public static class LoadAverage
{
    public static void Started(Type benchmarkClass, string method) => Write(benchmarkClass, method, Now());

    public static void Ended(Type benchmarkClass, string method)
    {
        var file = FileFor(RetainedProbe.Folder, benchmarkClass.Name, method, Flavour.JobName);
        var started = File.Exists(file) ? File.ReadAllText(file) : "?";
        Write(benchmarkClass, method, $"{started} → {Now()}");
    }

    /// <summary>The one-minute load average, or "?" where the system does not say.</summary>
    public static string Now() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    internal static string FileFor(string folder, string benchmarkClass, string method, string job) =>
        Path.Combine(folder, $"{benchmarkClass}.{method}.{job}.load.txt");

    private static void Write(Type benchmarkClass, string method, string text)
    {
        Directory.CreateDirectory(RetainedProbe.Folder);
        File.WriteAllText(FileFor(RetainedProbe.Folder, benchmarkClass.Name, method, Flavour.JobName), text);
    }
}

/// <summary>The "Load average" column: shown for the classes that record it (see <see cref="LoadAverage"/>).</summary>
public sealed class LoadAverageColumn(string folder) : IColumn
{
    public string Id => nameof(LoadAverageColumn);

    public string ColumnName => "Load average";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 9;

    public bool IsNumeric => false;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "The machine's one-minute load average when the benchmark's process started → when it ended";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var file = File(benchmarkCase);
        return System.IO.File.Exists(file) ? System.IO.File.ReadAllText(file) : "-";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => System.IO.File.Exists(File(c)));

    private string File(BenchmarkCase benchmarkCase) => LoadAverage.FileFor(
        folder, benchmarkCase.Descriptor.Type.Name, benchmarkCase.Descriptor.WorkloadMethod.Name, benchmarkCase.Job.Id);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ColumnName}");
}
