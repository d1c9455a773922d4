using System.Globalization;
using System.Text;
using ScottPlot;

namespace NotebookKit;

/// <summary>
/// A chart: drawn by ScottPlot as SVG for notebooks that render HTML, with the same data as a text table for those that
/// do not. A cell that ends in a chart shows both: the editor draws the SVG, GitHub and terminals show the table.
/// </summary>
/// <param name="Svg">An <c>&lt;svg&gt;</c> element.</param>
/// <param name="Text">A plain-text table of the same data.</param>
[TypeFormatterSource(typeof(NotebookFormatters))]
public sealed record ChartResult(string Svg, string Text)
{
    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>One line of a chart.</summary>
/// <param name="Name">Its name in the legend and the table.</param>
/// <param name="Points">Its points, in the order they are joined.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>Line charts, drawn with ScottPlot.</summary>
public static class Chart
{
    private const int Width = 720;
    private const int Height = 400;
    private static readonly string[] s_palette = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"];

    // Growth charts: red for the leak, green for the fix.
    private static readonly string[] s_leakyVsFixed = ["#d62728", "#2ca02c"];
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    /// <summary>A line chart of one or more series on shared axes that start at zero.</summary>
    public static ChartResult Lines(string title, string xLabel, string yLabel, params ChartSeries[] series)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Length == 0 || series.All(s => s.Points.Count == 0))
        {
            throw new ArgumentException("A chart needs at least one point.", nameof(series));
        }

        return new ChartResult(Svg(title, xLabel, yLabel, series, s_palette), Table(title, xLabel, series));
    }

    /// <summary>
    /// The leak-indicator objects alive after each step, for the kata (leaky) and its solution (fixed), against the work done.
    /// The text table also lists their bytes and the whole heap's bytes.
    /// </summary>
    public static ChartResult Growth(GrowthSeries kata, GrowthSeries solution)
    {
        ArgumentNullException.ThrowIfNull(kata);
        ArgumentNullException.ThrowIfNull(solution);

        var title = $"{Capitalize(kata.Measure)} after each step: {kata.Kata}, kata vs solution";
        ChartSeries[] series =
        [
            new("kata (leaky)", [.. kata.Points.Select(p => ((double)p.Operations, (double)p.LiveObjects))]),
            new("solution (fixed)", [.. solution.Points.Select(p => ((double)p.Operations, (double)p.LiveObjects))]),
        ];

        List<string[]> rows =
        [
            ["step", kata.Unit, "kata: " + kata.Measure, "kata: bytes", "kata: heap", "solution: " + solution.Measure, "solution: bytes", "solution: heap"],
        ];
        var steps = kata.Points.Select(p => p.Step).Union(solution.Points.Select(p => p.Step)).Order();
        foreach (var step in steps)
        {
            var k = kata.Points.FirstOrDefault(p => p.Step == step);
            var s = solution.Points.FirstOrDefault(p => p.Step == step);
            rows.Add(
            [
                step.ToString(s_inv),
                ((k ?? s)!.Operations).ToString("N0", s_inv),
                k?.LiveObjects.ToString("N0", s_inv) ?? "",
                k is null ? "" : Bytes(k.LiveBytes),
                k is null ? "" : Bytes(k.HeapBytes),
                s?.LiveObjects.ToString("N0", s_inv) ?? "",
                s is null ? "" : Bytes(s.LiveBytes),
                s is null ? "" : Bytes(s.HeapBytes),
            ]);
        }

        var text = title + Environment.NewLine + Format(rows);
        return new ChartResult(Svg(title, kata.Unit, kata.Measure, series, s_leakyVsFixed), text);
    }

    /// <summary>Bytes in B, KB, MB or GB (1 KB = 1,024 bytes), as the heap tools print them.</summary>
    internal static string Bytes(long bytes)
    {
        var size = Math.Abs((double)bytes);
        return size switch
        {
            < 1024 => bytes.ToString("N0", s_inv) + " B",
            < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", s_inv) + " KB",
            < 1024L * 1024 * 1024 => (bytes / 1024.0 / 1024).ToString("0.#", s_inv) + " MB",
            _ => (bytes / 1024.0 / 1024 / 1024).ToString("0.##", s_inv) + " GB",
        };
    }

    private static string Svg(string title, string xLabel, string yLabel, ChartSeries[] series, string[] palette)
    {
        NativeLibraries.Register();
        var plot = new Plot();
        plot.Title(title, size: 15);
        plot.XLabel(xLabel, size: 12);
        plot.YLabel(yLabel, size: 12);
        for (var i = 0; i < series.Length; i++)
        {
            var line = plot.Add.Scatter(
                series[i].Points.Select(p => p.X).ToArray(),
                series[i].Points.Select(p => p.Y).ToArray(),
                ScottPlot.Color.FromHex(palette[i % palette.Length]));
            line.LegendText = series[i].Name;
            line.LineWidth = 2.5f;
            line.MarkerSize = 6;
        }

        // Leaks are read from zero: an axis that starts near the data hides how much is held.
        var points = series.SelectMany(s => s.Points).ToArray();
        plot.Axes.SetLimits(
            Math.Min(0, points.Min(p => p.X)), points.Max(p => p.X) * 1.04,
            Math.Min(0, points.Min(p => p.Y)), Math.Max(1, points.Max(p => p.Y) * 1.1));
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = Compact };
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = Compact };
        plot.ShowLegend(Alignment.UpperLeft);
        var svg = plot.GetSvgXml(Width, Height);
        return svg[svg.IndexOf("<svg", StringComparison.Ordinal)..]; // inline in HTML: no XML declaration

    }

    private static string Table(string title, string xLabel, ChartSeries[] series)
    {
        var xs = series.SelectMany(s => s.Points.Select(p => p.X)).Distinct().Order().ToArray();
        List<string[]> rows = [[xLabel, .. series.Select(s => s.Name)]];
        foreach (var x in xs)
        {
            rows.Add([Number(x), .. series.Select(s => s.Points.Where(p => p.X == x).Select(p => Number(p.Y)).FirstOrDefault() ?? "")]);
        }

        return title + Environment.NewLine + Format(rows);
    }

    /// <summary>Right-aligned columns, a rule under the header.</summary>
    private static string Format(List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        for (var r = 0; r < rows.Count; r++)
        {
            text.AppendLine(string.Join("  ", rows[r].Select((cell, c) => cell.PadLeft(widths[c]))).TrimEnd());
            if (r == 0)
            {
                text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }

        return text.ToString().TrimEnd();
    }

    private static string Compact(double value)
    {
        var size = Math.Abs(value);
        return size switch
        {
            >= 1e9 => (value / 1e9).ToString("0.##", s_inv) + "G",
            >= 1e6 => (value / 1e6).ToString("0.##", s_inv) + "M",
            >= 1e3 => (value / 1e3).ToString("0.##", s_inv) + "k",
            _ => value.ToString("#,0.##", s_inv),
        };
    }

    private static string Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("N0", s_inv) : value.ToString("#,0.###", s_inv);

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
