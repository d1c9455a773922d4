using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace NotebookRunner;

/// <summary>
/// What a notebook cell can call besides plain C#: the same names as in Polyglot Notebooks.
/// </summary>
public sealed class NotebookGlobals
{
    internal OutputCollector? Current { get; set; }

    /// <summary>
    /// Shows <paramref name="value"/> below the cell: as HTML when it is an <see cref="HtmlValue"/>, as text otherwise.
    /// <paramref name="plainText"/> replaces the text form (what GitHub and the terminal show for HTML and SVG).
    /// </summary>
    public void display(object? value, string? plainText = null) =>
        Current?.Add(Display.Format(value, plainText, isResult: false));

    /// <summary>Marks a string as HTML (or inline SVG), with an optional text form for viewers that cannot render it.</summary>
    public HtmlValue HTML(string markup, string? plainText = null) => new(markup, plainText);
}

/// <summary>HTML (or SVG) content and the text shown where HTML cannot be rendered.</summary>
public sealed record HtmlValue(string Markup, string? PlainText = null)
{
    public override string ToString() => PlainText ?? Display.TextOf(Markup);
}

/// <summary>Turns a value into a notebook output, the way Polyglot's text/plain formatter roughly does.</summary>
public static partial class Display
{
    private const int MaxItems = 20;

    public static DisplayOutput Format(object? value, string? plainText = null, bool isResult = false) => value switch
    {
        HtmlValue html => new DisplayOutput(plainText ?? html.ToString(), html.Markup, isResult),
        _ => new DisplayOutput(plainText ?? ToPlainText(value), null, isResult),
    };

    public static string ToPlainText(object? value)
    {
        switch (value)
        {
            case null:
                return "<null>";
            case string text:
                return text;
            case IFormattable formattable:
                return formattable.ToString(null, CultureInfo.InvariantCulture);
            case IEnumerable items when value.GetType().GetMethod(nameof(ToString), Type.EmptyTypes)?.DeclaringType == typeof(object):
                var shown = new List<string>();
                var more = 0;
                foreach (var item in items)
                {
                    if (shown.Count < MaxItems)
                    {
                        shown.Add(ToPlainText(item));
                    }
                    else
                    {
                        more++;
                    }
                }
                var tail = more > 0 ? $", … ({more} more)" : "";
                return shown.Count == 0 ? "[ ]" : $"[ {string.Join(", ", shown)}{tail} ]";
            default:
                return value.ToString() ?? "";
        }
    }

    /// <summary>A text form of markup: the text between the tags, or a short note when there is none (e.g. a chart).</summary>
    public static string TextOf(string markup)
    {
        var text = Whitespace().Replace(Tags().Replace(markup, " "), " ").Trim();
        text = System.Net.WebUtility.HtmlDecode(text);
        if (text.Length > 0)
        {
            return text;
        }
        return markup.Contains("<svg", StringComparison.OrdinalIgnoreCase) ? "[SVG image]" : "[HTML content]";
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

/// <summary>Collects a cell's outputs in the order they happen; consecutive writes to one stream merge.</summary>
internal sealed class OutputCollector
{
    private readonly List<object> _items = [];

    public void Add(CellOutput output)
    {
        lock (_items)
        {
            _items.Add(output);
        }
    }

    public void Write(string stream, string text)
    {
        if (text.Length == 0)
        {
            return;
        }
        lock (_items)
        {
            if (_items.Count > 0 && _items[^1] is (string name, StringBuilder buffer) && name == stream)
            {
                buffer.Append(text);
            }
            else
            {
                _items.Add((stream, new StringBuilder(text)));
            }
        }
    }

    public List<CellOutput> ToList()
    {
        lock (_items)
        {
            return _items
                .Select(item => item is (string name, StringBuilder buffer)
                    ? new StreamOutput(name, buffer.ToString().ReplaceLineEndings("\n"))
                    : (CellOutput)item)
                .ToList();
        }
    }
}

/// <summary>A Console.Out / Console.Error replacement that routes text into the running cell's outputs.</summary>
internal sealed class CellConsoleWriter(string stream, Func<OutputCollector?> current, TextWriter fallback) : TextWriter
{
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }
        if (current() is { } collector)
        {
            collector.Write(stream, value);
        }
        else
        {
            fallback.Write(value);
        }
    }
}
