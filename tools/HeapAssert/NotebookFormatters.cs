using System.Net;

namespace HeapAssert;

/// <summary>
/// Marks a type that .NET Interactive (Polyglot Notebooks, Jupyter's .NET kernel, dotnet repl) formats with
/// <see cref="NotebookFormatters"/>. The kernel finds it by its name, so HeapAssert needs no reference to the kernel's
/// packages: this is .NET Interactive's documented convention for libraries.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct)]
internal sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>Both forms are stored in a notebook: HTML for editors, plain text for GitHub and terminals.</summary>
    public string[] PreferredMimeTypes { get; set; } = ["text/html", "text/plain"];
}

/// <summary>
/// How a notebook shows the engine's results: a cell that ends in <c>heap</c>, <c>after.Diff(before)</c>,
/// <c>heap.Objects&lt;T&gt;()</c> or <c>set.ShortestPath()</c> renders a table or a path in an editor, and the same
/// text as <c>ToString()</c> where HTML is not shown.
/// </summary>
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
            switch (instance)
            {
                case HeapSnapshot snapshot:
                    writer.Write($"<p>{snapshot.ObjectCount:N0} live objects, {ByteSize.Format(snapshot.TotalBytes)}; the largest types:</p>");
                    Table(writer, ["Count", "Bytes", "Type"], snapshot.TopTypes(10).Select(t => new[] { $"{t.Count:N0}", ByteSize.Format(t.Bytes), TypeNames.Short(t.TypeName) }));
                    return true;
                case HeapDiff diff:
                    Table(writer, ["+Count", "+Bytes", "Type"], diff.Rows.Take(10).Select(r => new[] { $"{r.CountDelta:+#,0;-#,0;0}", ByteSize.Format(r.BytesDelta), TypeNames.Short(r.TypeName) }));
                    return true;
                case RetentionPath path:
                    writer.Write($"<ol style=\"margin:0\"><li><b>{Encode(path.Root)}</b></li>");
                    foreach (var step in path.Steps)
                    {
                        writer.Write($"<li><code>{Encode(step)}</code></li>");
                    }

                    writer.Write("</ol>");
                    return true;
                default:
                    writer.Write($"<code>{Encode(instance.ToString())}</code>");
                    return true;
            }
        }

        private static void Table(TextWriter writer, string[] header, IEnumerable<string[]> rows)
        {
            writer.Write("<table><thead><tr>");
            foreach (var cell in header)
            {
                writer.Write($"<th>{Encode(cell)}</th>");
            }

            writer.Write("</tr></thead><tbody>");
            foreach (var row in rows)
            {
                writer.Write("<tr>");
                for (var i = 0; i < row.Length; i++)
                {
                    var align = i < row.Length - 1 ? " style=\"text-align:right\"" : " style=\"text-align:left\"";
                    writer.Write($"<td{align}>{Encode(row[i])}</td>");
                }

                writer.Write("</tr>");
            }

            writer.Write("</tbody></table>");
        }

        private static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");
    }
}
