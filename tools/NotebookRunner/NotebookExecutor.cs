using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;

namespace NotebookRunner;

/// <summary>A code cell that ran: its number among all cells, its number among code cells, and what it produced.</summary>
public sealed record ExecutedCell(int CellNumber, int CodeCellNumber, string Source, IReadOnlyList<InteractiveDocumentOutputElement> Outputs);

/// <summary>
/// The first cell that failed: <see cref="CellNumber"/> counts all cells, <see cref="CodeCellNumber"/> code cells only;
/// <see cref="Outputs"/> holds what the cell printed or displayed before it failed.
/// </summary>
public sealed record NotebookFailure(
    string NotebookPath, int CellNumber, int CodeCellNumber, string Reason, IReadOnlyList<string> Details, IReadOnlyList<InteractiveDocumentOutputElement> Outputs)
{
    public string Headline => $"{NotebookPath}, cell {CellNumber} (code cell {CodeCellNumber}) {Reason}";

    public override string ToString() => string.Join("\n", Details.Select(line => "  " + line).Prepend(Headline));
}

public sealed record NotebookResult(InteractiveDocument Document, IReadOnlyList<ExecutedCell> Cells, NotebookFailure? Failure)
{
    public bool Succeeded => Failure is null;
}

/// <summary>
/// Runs every code cell of a notebook in order, in the .NET Interactive C# kernel (the kernel behind Polyglot Notebooks),
/// and stops at the first failure.
/// </summary>
public static partial class NotebookExecutor
{
    public static readonly TimeSpan DefaultCellTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A C# kernel set up as Polyglot Notebooks sets up its own: the kernel's helpers (<c>display</c>, <c>HTML</c>, …),
    /// <c>#!who</c> and value sharing, inside a composite kernel. Nothing is added that the real kernel lacks: no usings,
    /// no globals, no references. <c>#r "nuget: …"</c> is the one thing left out (the notebooks do not use it).
    /// </summary>
    public static CompositeKernel CreateKernel()
    {
        var csharp = new CSharpKernel().UseKernelHelpers().UseWho().UseValueSharing();
        return new CompositeKernel { csharp }.UseDefaultKernel(csharp.Name);
    }

    /// <summary>
    /// Runs the notebook at <paramref name="path"/> with its folder as the working directory (as Polyglot Notebooks does);
    /// <paramref name="starting"/> is called before each code cell (cell number, code-cell number, source) and
    /// <paramref name="finished"/> after each one that ran without error. The returned document holds the new outputs.
    /// </summary>
    public static async Task<NotebookResult> RunAsync(
        string path,
        TimeSpan? cellTimeout = null,
        Action<int, int, string>? starting = null,
        Action<ExecutedCell>? finished = null)
    {
        var document = Notebook.Parse(await File.ReadAllTextAsync(path));
        var previousDirectory = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var kernel = CreateKernel();
        var abandoned = false;
        try
        {
            var executed = new List<ExecutedCell>();
            var (cellNumber, codeNumber) = (0, 0);
            foreach (var element in document.Elements)
            {
                cellNumber++;
                if (element.KernelName is "markdown" or "md")
                {
                    continue;
                }

                codeNumber++;
                starting?.Invoke(cellNumber, codeNumber, element.Contents);
                if (element.KernelName is not ("csharp" or "C#" or "c#"))
                {
                    return new NotebookResult(document, executed, new NotebookFailure(
                        path, cellNumber, codeNumber, $"uses the '{element.KernelName}' kernel",
                        ["This runner runs C# cells only: set the cell's kernel to C# (\"kernelName\": \"csharp\")."], []));
                }

                var run = await RunCellAsync(kernel, element.Contents, cellTimeout ?? DefaultCellTimeout);
                element.Outputs.Clear();
                element.Outputs.AddRange(run.Outputs);
                element.ExecutionOrder = codeNumber;
                foreach (var value in run.Outputs.OfType<ReturnValueElement>())
                {
                    value.ExecutionOrder = codeNumber;
                }
                if (run.Failure is { } failure)
                {
                    abandoned = run.TimedOut;
                    return new NotebookResult(document, executed, new NotebookFailure(
                        path, cellNumber, codeNumber, failure.Reason, [.. failure.Details, .. WhereInCell(element.Contents, failure.Details)], run.Outputs));
                }

                var done = new ExecutedCell(cellNumber, codeNumber, element.Contents, run.Outputs);
                executed.Add(done);
                finished?.Invoke(done);
            }

            return new NotebookResult(document, executed, null);
        }
        finally
        {
            Directory.SetCurrentDirectory(previousDirectory);
            if (!abandoned)
            {
                // A cell still running past its time limit may hold the kernel; leave it to the process's exit.
                kernel.Dispose();
            }
        }
    }

    /// <summary>Writes the document as Polyglot Notebooks saves it (nbformat 4, the kernel's metadata kept).</summary>
    public static void Save(InteractiveDocument document, string path) =>
        File.WriteAllText(path, Notebook.ToJupyterJson(document).ReplaceLineEndings("\n") + "\n");

    private sealed record CellRun(IReadOnlyList<InteractiveDocumentOutputElement> Outputs, (string Reason, IReadOnlyList<string> Details)? Failure, bool TimedOut);

    private static async Task<CellRun> RunCellAsync(CompositeKernel kernel, string code, TimeSpan timeout)
    {
        var outputs = new Outputs();
        var command = new SubmitCode(code, "csharp");
        using var subscription = kernel.KernelEvents.Subscribe(new EventObserver(outputs.Add));
        var send = kernel.SendAsync(command);
        if (await Task.WhenAny(send, Task.Delay(timeout)) != send)
        {
            return new CellRun(outputs.ToList(), ($"was still running after {timeout.TotalSeconds:0} s and was abandoned", ["Raise the limit with --cell-timeout, or make the cell do less work."]), TimedOut: true);
        }

        var result = await send;
        var failed = result.Events.OfType<CommandFailed>().FirstOrDefault(f => f.Command == command) ?? result.Events.OfType<CommandFailed>().FirstOrDefault();
        if (failed is null)
        {
            return new CellRun(outputs.ToList(), null, TimedOut: false);
        }

        var details = failed.Message.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        outputs.Add(new ErrorElement(failed.Message, failed.Exception?.GetType().Name ?? "Error", (failed.Exception?.StackTrace ?? "").ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var compileErrors = details.Where(line => CompileError().IsMatch(line)).ToArray();
        if (compileErrors.Length > 0)
        {
            return new CellRun(outputs.ToList(), ("does not compile", compileErrors), TimedOut: false);
        }

        var reason = failed.Exception is { } exception ? $"threw {exception.GetType().FullName}: {exception.Message}" : "failed";
        return new CellRun(outputs.ToList(), (reason, failed.Exception is null ? details : [.. details.Skip(1).Take(12)]), TimedOut: false);
    }

    /// <summary>For a compile error at (line, column), the line of the cell it points at.</summary>
    private static IEnumerable<string> WhereInCell(string source, IReadOnlyList<string> details)
    {
        var lines = source.ReplaceLineEndings("\n").Split('\n');
        foreach (var match in details.Select(d => CompileError().Match(d)).Where(m => m.Success).Take(3))
        {
            var line = int.Parse(match.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (line >= 1 && line <= lines.Length)
            {
                yield return $"    line {line} | {lines[line - 1].Trim()}";
            }
        }
    }

    [GeneratedRegex(@"\((?<line>\d+),(?<column>\d+)\): error ")]
    private static partial Regex CompileError();

    /// <summary>The cell's outputs in the order they arrived; consecutive writes to one stream are joined, as editors show them.</summary>
    private sealed class Outputs
    {
        private readonly List<InteractiveDocumentOutputElement> _items = [];
        private readonly Lock _lock = new();

        public void Add(KernelEvent @event)
        {
            switch (@event)
            {
                case StandardOutputValueProduced stdout:
                    Add(new TextElement(stdout.FormattedValues.First().Value, "stdout"));
                    break;
                case StandardErrorValueProduced stderr:
                    Add(new TextElement(stderr.FormattedValues.First().Value, "stderr"));
                    break;
                case ErrorProduced error:
                    Add(new ErrorElement(error.Message, "Error", []));
                    break;
                case ReturnValueProduced result:
                    var value = new ReturnValueElement();
                    foreach (var (mimeType, text) in ByMimeType(result))
                    {
                        value.Data[mimeType] = text;
                    }

                    Add(value);
                    break;
                case DisplayEvent display:
                    Add(new DisplayElement(ByMimeType(display)));
                    break;
            }
        }

        public void Add(InteractiveDocumentOutputElement output)
        {
            lock (_lock)
            {
                if (output is TextElement text && _items.LastOrDefault() is TextElement last && last.Name == text.Name)
                {
                    _items[^1] = new TextElement(last.Text + text.Text, text.Name);
                    return;
                }

                _items.Add(output);
            }
        }

        public List<InteractiveDocumentOutputElement> ToList()
        {
            lock (_lock)
            {
                return [.. _items];
            }
        }

        private static Dictionary<string, object> ByMimeType(DisplayEvent display) =>
            display.FormattedValues.ToDictionary(v => v.MimeType, v => (object)v.Value);
    }

    private sealed class EventObserver(Action<KernelEvent> onNext) : IObserver<KernelEvent>
    {
        public void OnNext(KernelEvent value) => onNext(value);

        public void OnError(Exception error)
        {
        }

        public void OnCompleted()
        {
        }
    }

    /// <summary>What a terminal shows of an output: its text/plain form, else the text of its HTML.</summary>
    public static string ToTerminalText(InteractiveDocumentOutputElement output) => output switch
    {
        TextElement text => text.Text,
        ErrorElement error => $"{error.ErrorName}: {error.ErrorValue}",
        DisplayElement display => TextOf(display.Data),
        ReturnValueElement value => TextOf(value.Data),
        _ => output.ToString() ?? "",
    };

    private static string TextOf(IDictionary<string, object> data)
    {
        if (data.TryGetValue("text/plain", out var plain))
        {
            return plain.ToString() ?? "";
        }

        if (data.TryGetValue("text/html", out var html))
        {
            var text = html.ToString() ?? "";
            if (text.TrimStart().StartsWith("<svg", StringComparison.OrdinalIgnoreCase))
            {
                return "[SVG image]";
            }

            text = StyleOrScript().Replace(text, "");
            text = Tag().Replace(text, " ");
            return System.Net.WebUtility.HtmlDecode(Spaces().Replace(text, " ")).Trim();
        }

        return string.Join(", ", data.Keys.Select(k => $"[{k}]"));
    }

    [GeneratedRegex(@"<(style|script)\b.*?</\1>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex StyleOrScript();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex Spaces();
}

/// <summary>Puts the kernel in a composite and makes it the default, as a notebook whose cells all use one language expects.</summary>
internal static class CompositeKernelExtensions
{
    public static CompositeKernel UseDefaultKernel(this CompositeKernel kernel, string name)
    {
        kernel.DefaultKernelName = name;
        return kernel;
    }
}
