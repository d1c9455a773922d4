using System.Net;

namespace NotebookKit;

/// <summary>
/// Marks a type that .NET Interactive (Polyglot Notebooks, Jupyter's .NET kernel, dotnet repl) formats with
/// <see cref="NotebookFormatters"/>. The kernel finds the attribute by its name: .NET Interactive's convention for
/// libraries that do not reference its packages.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct)]
internal sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>Both forms are stored in a notebook: HTML for editors, plain text for GitHub and terminals.</summary>
    public string[] PreferredMimeTypes { get; set; } = ["text/html", "text/plain"];
}

/// <summary>A chart renders as its SVG in an editor and as its table where HTML is not shown.</summary>
internal sealed class NotebookFormatters
{
    public IEnumerable<object> CreateTypeFormatters() => [new PlainText(), new Html()];

    private sealed class PlainText
    {
        public string MimeType => "text/plain";

        public bool Format(object instance, TextWriter writer)
        {
            writer.Write(instance.ToString());
            return true;
        }
    }

    private sealed class Html
    {
        public string MimeType => "text/html";

        public bool Format(object instance, TextWriter writer)
        {
            writer.Write(instance is ChartResult chart ? chart.Svg : $"<pre>{WebUtility.HtmlEncode(instance.ToString())}</pre>");
            return true;
        }
    }
}
