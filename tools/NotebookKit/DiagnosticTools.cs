using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace NotebookKit;

/// <summary>
/// What one or more runs of a diagnostic tool printed: the commands, as you would type them in the repository after
/// <c>dotnet tool restore</c> (<c>dotnet dotnet-dump …</c> runs the pinned local tool; after a global install it is
/// <c>dotnet-dump …</c>), and their output, trimmed to the lines that matter, with a note where lines were left out.
/// </summary>
[TypeFormatterSource(typeof(NotebookFormatters))]
public sealed record ToolRun(string Commands, string Output)
{
    /// <summary>
    /// The count in the row of <paramref name="typeName"/> (a full type name; a generic type's rows, <c>Name&lt;…&gt;</c>,
    /// are added up), as <c>dotnet-gcdump report</c> and SOS's <c>dumpheap -stat</c> print it; null when no row names that type.
    /// </summary>
    public long? CountOf(string typeName)
    {
        long? total = null;
        foreach (var line in Output.Split('\n'))
        {
            // gcdump report adds the assembly in brackets after the type; SOS does not.
            var row = line.TrimEnd();
            row = row.EndsWith(']') && row.LastIndexOf("  [", StringComparison.Ordinal) is var bracket and > 0 ? row[..bracket] : row;
            var start = row.LastIndexOf(" " + typeName, StringComparison.Ordinal);
            var named = start >= 0 && (row.EndsWith(" " + typeName, StringComparison.Ordinal) || (row[(start + 1 + typeName.Length)..].StartsWith('<') && row.EndsWith('>')));
            if (named && DiagnosticTools.Counts(line) is { } count)
            {
                total = (total ?? 0) + count;
            }
        }

        return total;
    }

    /// <inheritdoc />
    public override string ToString() => Commands + Environment.NewLine + Output;
}

/// <summary>
/// The .NET diagnostic tools a person would point at a leaking service (dotnet-counters, dotnet-gcdump, dotnet-dump
/// with SOS), run for real against a process: the workshop pins them in <c>.config/dotnet-tools.json</c>, and
/// <c>dotnet tool restore</c> installs them. Every file a tool writes goes to a temporary folder that is deleted
/// before the call returns: no dump is left behind.
/// </summary>
public static partial class DiagnosticTools
{
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan s_toolStartup = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// <c>dotnet-counters collect</c> on <paramref name="processId"/> for <paramref name="duration"/>, while
    /// <paramref name="during"/> (if given) runs traffic in this process, once the tool has had time to start; returns the garbage collector's counters at
    /// each one-second sample: the heap size after the last collection per generation, and the collection counts.
    /// </summary>
    public static ToolRun Counters(int processId, TimeSpan duration, Func<Task>? during = null)
    {
        using var folder = new TempFolder();
        var csv = Path.Combine(folder.Path, "counters.csv");
        var span = duration.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture);
        var command = $"dotnet dotnet-counters collect -p {processId} --counters System.Runtime --duration {span} --format csv -o counters.csv";
        var tool = Task.Run(() => Shell.Execute("dotnet", $"tool run dotnet-counters collect -p {processId} --counters System.Runtime --duration {span} --format csv -o \"{csv}\"", s_limit));

        // The tool takes about a second to start its session (it writes its file only at the end, so there is nothing
        // to wait on): the traffic begins after that.
        tool.Wait(s_toolStartup);
        during?.Invoke().GetAwaiter().GetResult();
        var result = tool.GetAwaiter().GetResult();
        if (result.ExitCode != 0 || !File.Exists(csv))
        {
            return Failed(command, result);
        }

        return new ToolRun("$ " + command, CounterTable(File.ReadAllLines(csv)));
    }

    /// <summary>
    /// <c>dotnet-counters collect</c> on <paramref name="processId"/> with the <c>System.Net.Http</c> and
    /// <c>System.Runtime</c> counters for <paramref name="duration"/>, while <paramref name="during"/> (if given) runs in
    /// this process once the tool has had time to start; returns, at each one-second sample, the HTTP client's
    /// connections by state (<c>http.client.open_connections</c>: active, checked out by a request, and idle, back in the
    /// pool), the requests in flight (<c>http.client.active_requests</c>), the median time a request waited for a
    /// connection (<c>http.client.request.time_in_queue</c>, when requests were queued in that second) and the garbage
    /// collections. Connections and requests are summed over every server the process talks to.
    /// </summary>
    public static ToolRun HttpCounters(int processId, TimeSpan duration, Func<Task>? during = null)
    {
        using var folder = new TempFolder();
        var csv = Path.Combine(folder.Path, "counters.csv");
        var span = duration.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture);
        const string Counters = "System.Net.Http,System.Runtime";
        var command = $"dotnet dotnet-counters collect -p {processId} --counters {Counters} --duration {span} --format csv -o counters.csv";
        var tool = Task.Run(() => Shell.Execute("dotnet", $"tool run dotnet-counters collect -p {processId} --counters {Counters} --duration {span} --format csv -o \"{csv}\"", s_limit));
        tool.Wait(s_toolStartup);
        during?.Invoke().GetAwaiter().GetResult();
        var result = tool.GetAwaiter().GetResult();
        if (result.ExitCode != 0 || !File.Exists(csv))
        {
            return Failed(command, result);
        }

        return new ToolRun("$ " + command, HttpCounterTable(File.ReadAllLines(csv)));
    }

    /// <summary>
    /// <c>dotnet-gcdump collect</c> on <paramref name="processId"/>, then <c>dotnet-gcdump report</c>: the header, the
    /// <paramref name="top"/> largest types, and the rows of <paramref name="types"/>: a plain name such as
    /// <c>GrpcChannel</c> matches that type (by full or short name); a name with <c>+</c> or <c>&lt;</c> in it, such as
    /// <c>+&lt;PollAsync&gt;</c>, matches every type whose name contains it.
    /// </summary>
    public static ToolRun GcDump(int processId, string[] types, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(types);
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "heap.gcdump");
        var collect = Shell.Execute("dotnet", $"tool run dotnet-gcdump collect -p {processId} -o \"{file}\"", s_limit);
        var commands = $"$ dotnet dotnet-gcdump collect -p {processId} -o heap.gcdump{Environment.NewLine}$ dotnet dotnet-gcdump report heap.gcdump";
        if (collect.ExitCode != 0 || !File.Exists(file))
        {
            return Failed(commands, collect);
        }

        var report = Shell.Execute("dotnet", $"tool run dotnet-gcdump report \"{file}\"", s_limit);
        if (report.ExitCode != 0)
        {
            return Failed(commands, report);
        }

        var lines = report.StandardOutput.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();
        var rows = lines.Where(l => Counts(l) is not null).ToArray();
        var header = lines.TakeWhile(l => Counts(l) is null).ToArray();
        var kept = rows.Take(top).Concat(rows.Skip(top).Where(r => types.Any(t => Names(r, t)))).ToArray();
        var text = new StringBuilder();
        foreach (var line in header)
        {
            text.AppendLine(line);
        }

        foreach (var line in kept)
        {
            text.AppendLine(line);
        }

        text.Append(CultureInfo.InvariantCulture, $"  … {rows.Length - kept.Length:N0} more rows: the {top} largest types, then only those named {string.Join(", ", types)}");
        return new ToolRun(commands, text.ToString());
    }

    /// <summary>
    /// <c>dotnet-dump collect --type Heap</c> on <paramref name="processId"/>, then <c>dotnet-dump analyze</c> with SOS's
    /// <c>dumpheap -stat -live -type &lt;typeName&gt;</c>: the reference count of what is alive, the objects that a
    /// garbage collection would keep. <c>-type</c> matches every type whose name contains <paramref name="typeName"/>.
    /// </summary>
    public static ToolRun DumpHeap(int processId, string typeName)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        return Sos(processId, $"dumpheap -stat -live -type {typeName}");
    }

    /// <summary>
    /// <c>dotnet-dump collect --type Heap</c> on <paramref name="processId"/>, then <c>dotnet-dump analyze</c> running the
    /// SOS <paramref name="commands"/> in order (for example <c>dumpasync --coalesce</c>, <c>dumpheap -stat -live</c>),
    /// and what they printed, at most <paramref name="lines"/> lines.
    /// </summary>
    public static ToolRun Sos(int processId, string[] commands, int lines = 60)
    {
        ArgumentNullException.ThrowIfNull(commands);
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "heap.dmp");
        var chain = string.Concat(commands.Select(c => $" -c \"{c}\"")) + " -c exit";
        var typed = $"$ dotnet dotnet-dump collect -p {processId} --type Heap -o heap.dmp{Environment.NewLine}$ dotnet dotnet-dump analyze heap.dmp{chain}";
        var collect = Shell.Execute("dotnet", $"tool run dotnet-dump collect -p {processId} --type Heap -o \"{file}\"", s_limit);
        if (collect.ExitCode != 0 || !File.Exists(file))
        {
            return Failed(typed, collect);
        }

        var analyze = Shell.Execute("dotnet", $"tool run dotnet-dump analyze \"{file}\"{chain}", s_limit);
        if (analyze.ExitCode != 0)
        {
            return Failed(typed, analyze);
        }

        var printed = analyze.StandardOutput.Split('\n').Select(l => l.TrimEnd())
            .SkipWhile(l => !l.StartsWith("Loading core dump", StringComparison.Ordinal)).Skip(1)
            .Where(l => l.Length > 0 && !l.StartsWith('>'))
            .ToArray();
        var shown = printed.Take(lines).ToList();
        if (printed.Length > lines)
        {
            shown.Add($"… {printed.Length - lines:N0} more lines");
        }

        return new ToolRun(typed, string.Join(Environment.NewLine, shown));
    }

    /// <inheritdoc cref="Sos(int, string[], int)"/>
    public static ToolRun Sos(int processId, string command) => Sos(processId, [command]);

    /// <summary>The first number with thousands separators or of 1+ digits that stands as a count in a report row.</summary>
    internal static long? Counts(string line)
    {
        // gcdump report: "  Object Bytes  Count  Type"; dumpheap -stat: "MT  Count  TotalSize  Class Name".
        var match = ReportRow().Match(line);
        if (!match.Success)
        {
            return null;
        }

        return long.Parse(match.Groups["count"].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    /// <summary>Whether a report row is a row of <paramref name="type"/>, as <see cref="GcDump"/> describes.</summary>
    private static bool Names(string row, string type)
    {
        if (type.Contains('+', StringComparison.Ordinal) || type.Contains('<', StringComparison.Ordinal))
        {
            return row.Contains(type, StringComparison.Ordinal);
        }

        // "  <bytes>  <count>  <type>[ (Bytes > 1K)]  [<assembly>]"
        var name = ReportRow().Replace(row, "").Trim();
        name = name.LastIndexOf("  [", StringComparison.Ordinal) is var bracket and > 0 ? name[..bracket] : name;
        name = name.IndexOf(" (Bytes > ", StringComparison.Ordinal) is var size and > 0 ? name[..size] : name;
        return name == type || name.EndsWith("." + type, StringComparison.Ordinal) || name.EndsWith("+" + type, StringComparison.Ordinal);
    }

    private static string CounterTable(string[] csv)
    {
        // Timestamp,Provider,Counter Name,Counter Type,Mean/Increment; rates are per second.
        var columns = new (string Counter, string Label, bool Bytes)[]
        {
            ("dotnet.gc.heap.total_allocated (By / 1 sec)", "allocated/s", true),
            ("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]", "gen0 GCs/s", false),
            ("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen1]", "gen1 GCs/s", false),
            ("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen2]", "gen2 GCs/s", false),
            ("dotnet.gc.last_collection.heap.size (By)[gc.heap.generation=gen2]", "gen2 size", true),
            ("dotnet.gc.last_collection.heap.size (By)[gc.heap.generation=loh]", "LOH size", true),
            ("dotnet.gc.last_collection.memory.committed_size (By)", "committed", true),
            ("dotnet.timer.count ({timer})", "timers", false),
        };
        var samples = csv.Skip(1)
            .Select(line => line.Split(','))
            .Where(cells => cells.Length >= 5)
            .GroupBy(cells => cells[0])
            .Select(group => group.GroupBy(c => c[2]).ToDictionary(c => c.Key, c => c.Last()[4]))
            .Where(values => columns.Any(c => values.ContainsKey(c.Counter)))
            .ToArray();
        if (samples.Length == 0)
        {
            return "(no garbage-collector counters were published during the collection)" + Environment.NewLine
                + string.Join(Environment.NewLine, csv.Take(8));
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"second",6}  {string.Join("  ", columns.Select(c => c.Label.PadLeft(11)))}");
        for (var i = 0; i < samples.Length; i++)
        {
            var cells = columns.Select(c => samples[i].TryGetValue(c.Counter, out var v) ? Pretty(v, c.Bytes) : "");
            text.AppendLine(CultureInfo.InvariantCulture, $"{i + 1,6}  {string.Join("  ", cells.Select(c => c.PadLeft(11)))}");
        }

        return text.ToString().TrimEnd();
    }

    private static string HttpCounterTable(string[] csv)
    {
        // Timestamp,Provider,Counter Name,Counter Type,Mean/Increment; a counter name carries its tags in brackets.
        var samples = csv.Skip(1)
            .Select(line => line.Split(','))
            .Where(cells => cells.Length >= 5)
            .GroupBy(cells => cells[0])
            .Select(group => group.GroupBy(c => c[2]).ToDictionary(c => c.Key, c => Number(c.Last()[4])))
            .Where(values => values.Keys.Any(k => k.StartsWith("http.client.", StringComparison.Ordinal)))
            .ToArray();
        if (samples.Length == 0)
        {
            return "(no HTTP client counters were published during the collection: did this process make any HTTP request?)"
                + Environment.NewLine + string.Join(Environment.NewLine, csv.Take(8));
        }

        static double Sum(Dictionary<string, double> values, string counter, string tag = "") =>
            values.Where(v => v.Key.StartsWith(counter, StringComparison.Ordinal) && v.Key.Contains(tag, StringComparison.Ordinal)).Sum(v => v.Value);

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{"second",6}  {"active conns",12}  {"idle conns",10}  {"requests",8}  {"queued p50",10}  {"GCs",4}");
        for (var i = 0; i < samples.Length; i++)
        {
            var values = samples[i];
            var queued = values.Where(v => v.Key.StartsWith("http.client.request.time_in_queue", StringComparison.Ordinal)
                                           && v.Key.Contains("Percentile=50", StringComparison.Ordinal)).ToArray();
            var queue = queued.Length == 0 ? "" : $"{queued.Max(v => v.Value) * 1000:N0} ms";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{i + 1,6}  {Sum(values, "http.client.open_connections", "http.connection.state=active"),12:N0}  " +
                $"{Sum(values, "http.client.open_connections", "http.connection.state=idle"),10:N0}  " +
                $"{Sum(values, "http.client.active_requests"),8:N0}  {queue,10}  {Sum(values, "dotnet.gc.collections"),4:N0}");
        }

        return text.ToString().TrimEnd();
    }

    private static double Number(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : 0;

    private static string Pretty(string value, bool bytes) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? bytes ? Chart.Bytes((long)number) : number.ToString("N0", CultureInfo.InvariantCulture)
            : value;

    private static ToolRun Failed(string commands, ProcessResult result) =>
        new(commands, $"[the tool failed with exit code {result.ExitCode}{(result.TimedOut ? ", stopped after its time limit" : "")}]{Environment.NewLine}{result.Output.Trim()}"
            + (result.Output.Contains("dotnet tool restore", StringComparison.Ordinal) || result.Output.Contains("Cannot find a tool", StringComparison.Ordinal)
                ? $"{Environment.NewLine}Install the workshop's pinned tools first: `dotnet tool restore` in the repository root."
                : ""));

    // "  1,234,567   12,345  System.String" (gcdump) or "7f3a1c2b4e10  200,000  9,600,000 UnboundedCaches.ReportEntry" (SOS).
    [GeneratedRegex(@"^\s*(?:[0-9a-f]{8,16}\s+(?<count>[\d,]+)\s+[\d,]+|[\d,]+\s+(?<count>[\d,]+))\s+(?=\S)")]
    private static partial Regex ReportRow();

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("workshop-dump-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
