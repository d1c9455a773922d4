using System.Text.RegularExpressions;
using Spectre.Console;

namespace Workshop;

/// <summary>
/// The companion's output: Spectre.Console's colours, tables and live progress in a terminal; plain lines when the output
/// is redirected (a file, a pipe, a CI log), when <c>NO_COLOR</c> is set, or when <c>TERM=dumb</c>.
/// </summary>
public sealed partial class Ui
{
    /// <summary>How learners start the companion; every message that names a verb uses it.</summary>
    public const string Invocation = "dotnet run --project tools/Workshop --";

    private Ui(bool rich, bool keys)
    {
        Rich = rich;
        ReadsKeys = keys;
    }

    public static Ui Current { get; } = Create();

    /// <summary>Colours, tables, live progress.</summary>
    public bool Rich { get; }

    /// <summary>A person at a keyboard: single keys in <c>watch</c>, a question before <c>reset</c>.</summary>
    public bool ReadsKeys { get; }

    public IAnsiConsole Ansi => AnsiConsole.Console;

    public static string Command(string arguments) => $"{Invocation} {arguments}";

    public static bool IsPlain(bool outputRedirected, string? noColor, string? term) =>
        outputRedirected || !string.IsNullOrEmpty(noColor) || string.Equals(term, "dumb", StringComparison.Ordinal);

    private static Ui Create()
    {
        var plain = IsPlain(Console.IsOutputRedirected, Environment.GetEnvironmentVariable("NO_COLOR"), Environment.GetEnvironmentVariable("TERM"));
        return new Ui(!plain, !Console.IsInputRedirected && !Console.IsOutputRedirected);
    }

    public void Line(string text = "")
    {
        if (Rich)
        {
            Ansi.WriteLine(text);
        }
        else
        {
            Console.Out.WriteLine(text);
        }
    }

    /// <summary>A line with Spectre markup in a terminal, and <paramref name="plain"/> elsewhere.</summary>
    public void Markup(string markup, string plain)
    {
        if (Rich)
        {
            Ansi.MarkupLine(markup);
        }
        else
        {
            Console.Out.WriteLine(plain);
        }
    }

    public void Success(string text) => Markup($"[green bold]✓[/] [green]{Escape(text)}[/]", $"✓ {text}");

    public void Failure(string text) => Markup($"[red bold]✗[/] [red]{Escape(text)}[/]", $"✗ {text}");

    public void Note(string text) => Markup($"[grey]{Escape(text)}[/]", text);

    public void Heading(string text)
    {
        if (Rich)
        {
            Ansi.Write(new Rule($"[bold]{Escape(text)}[/]").LeftJustified());
        }
        else
        {
            Console.Out.WriteLine($"── {text} ──");
        }
    }

    /// <summary>Text exactly as a test or the compiler wrote it, indented (long lines wrap inside the indent); its first line stands out.</summary>
    public void Verbatim(string text, int indent = 2, string firstLineStyle = "bold")
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (Rich)
        {
            var markup = string.Join('\n', lines.Select((line, i) => i == 0 ? $"[{firstLineStyle}]{Escape(line)}[/]" : Escape(line)));
            Ansi.Write(new Padder(new Markup(markup), new Padding(indent, 0, 0, 0)));
            return;
        }

        var pad = new string(' ', indent);
        foreach (var line in lines)
        {
            Console.Out.WriteLine(pad + line);
        }
    }

    /// <summary>A hint's markdown: <c>`code`</c> and <c>**bold**</c> shown as such in a terminal, the markdown itself elsewhere.</summary>
    public void Markdown(string text, int indent = 2)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (Rich)
        {
            Ansi.Write(new Padder(new Markup(string.Join('\n', lines.Select(MarkdownToMarkup))), new Padding(indent, 0, 0, 0)));
            return;
        }

        var pad = new string(' ', indent);
        foreach (var line in lines)
        {
            Console.Out.WriteLine(pad + line);
        }
    }

    public static string MarkdownToMarkup(string line)
    {
        var escaped = Escape(line);
        escaped = InlineCode().Replace(escaped, "[aqua]$1[/]");
        return Bold().Replace(escaped, "[bold]$1[/]");
    }

    public static string Escape(string text) => Spectre.Console.Markup.Escape(text);

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex Bold();
}
