using System.Globalization;
using System.Net;
using System.Text;

namespace NotebookKit;

/// <summary>A chart: an inline SVG for notebooks that render HTML, and the same data as a text table for those that do not.</summary>
/// <param name="Svg">An <c>&lt;svg&gt;</c> element, to show with <c>display(HTML(chart.Svg, chart.Text))</c>.</param>
/// <param name="Text">A plain-text table of the same data, for GitHub and terminals.</param>
public sealed record ChartResult(string Svg, string Text)
{
    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>One line of a chart.</summary>
/// <param name="Name">Its name in the legend and the table.</param>
/// <param name="Points">Its points, in the order they are joined.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>Line charts as inline SVG, with no dependency beyond .NET.</summary>
public static class Chart
{
    private const int Width = 720;
    private const int Height = 400;
    private const int Left = 84;
    private const int Right = 32;
    private const int Top = 56;
    private const int Bottom = 64;
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
        var points = series.SelectMany(s => s.Points).ToArray();
        var xMax = NiceMax(points.Max(p => p.X));
        var yMax = NiceMax(points.Max(p => p.Y));
        var xMin = Math.Min(0, points.Min(p => p.X));
        var yMin = Math.Min(0, points.Min(p => p.Y));
        const double plotWidth = Width - Left - Right;
        const double plotHeight = Height - Top - Bottom;
        double Px(double x) => Left + ((x - xMin) / (xMax - xMin) * plotWidth);
        double Py(double y) => Top + plotHeight - ((y - yMin) / (yMax - yMin) * plotHeight);

        var svg = new StringBuilder();
        svg.Append(s_inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" ")
            .Append("font-family=\"Segoe UI, Helvetica, Arial, sans-serif\" font-size=\"12\" role=\"img\">")
            .Append(s_inv, $"<title>{Escape(title)}</title>")
            .Append(s_inv, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>")
            .Append(s_inv, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\">{Escape(title)}</text>");

        foreach (var tick in Ticks(yMin, yMax))
        {
            var y = F(Py(tick));
            svg.Append(s_inv, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#e5e5e5\"/>")
                .Append(s_inv, $"<text x=\"{Left - 8}\" y=\"{y}\" dy=\"4\" text-anchor=\"end\" fill=\"#555\">{Compact(tick)}</text>");
        }

        foreach (var tick in Ticks(xMin, xMax))
        {
            var x = F(Px(tick));
            svg.Append(s_inv, $"<line x1=\"{x}\" x2=\"{x}\" y1=\"{Top + plotHeight}\" y2=\"{Top + plotHeight + 5}\" stroke=\"#555\"/>")
                .Append(s_inv, $"<text x=\"{x}\" y=\"{Top + plotHeight + 20}\" text-anchor=\"middle\" fill=\"#555\">{Compact(tick)}</text>");
        }

        svg.Append(s_inv, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Top + plotHeight}\" y2=\"{Top + plotHeight}\" stroke=\"#555\"/>")
            .Append(s_inv, $"<line x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Top + plotHeight}\" stroke=\"#555\"/>")
            .Append(s_inv, $"<text x=\"{F(Left + (plotWidth / 2))}\" y=\"{Height - 16}\" text-anchor=\"middle\">{Escape(xLabel)}</text>")
            .Append(s_inv, $"<text transform=\"translate(18 {F(Top + (plotHeight / 2))}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>");

        for (var i = 0; i < series.Length; i++)
        {
            var color = palette[i % palette.Length];
            var line = string.Join(" ", series[i].Points.Select(p => $"{F(Px(p.X))},{F(Py(p.Y))}"));
            svg.Append(s_inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2.5\" points=\"{line}\"/>");
            foreach (var (x, y) in series[i].Points)
            {
                svg.Append(s_inv, $"<circle cx=\"{F(Px(x))}\" cy=\"{F(Py(y))}\" r=\"3.5\" fill=\"{color}\"><title>{Escape(series[i].Name)}: {Compact(x)}, {y.ToString("N0", s_inv)}</title></circle>");
            }

            var legendY = Top - 18;
            var legendX = Left + 12 + (i * 200);
            svg.Append(s_inv, $"<line x1=\"{legendX}\" x2=\"{legendX + 24}\" y1=\"{legendY}\" y2=\"{legendY}\" stroke=\"{color}\" stroke-width=\"3\"/>")
                .Append(s_inv, $"<text x=\"{legendX + 30}\" y=\"{legendY}\" dy=\"4\">{Escape(series[i].Name)}</text>");
        }

        return svg.Append("</svg>").ToString();
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

    private static double NiceMax(double max)
    {
        if (max <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var step in new[] { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            if (step * magnitude >= max)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static IEnumerable<double> Ticks(double min, double max)
    {
        var span = max - min;
        var raw = span / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(s => s * magnitude).First(s => s >= raw);
        for (var tick = Math.Ceiling(min / step) * step; tick <= max + (step / 1000); tick += step)
        {
            yield return Math.Round(tick, 10);
        }
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

    private static string F(double value) => value.ToString("0.#", s_inv);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
