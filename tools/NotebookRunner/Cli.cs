using System.Globalization;
using Microsoft.DotNet.Interactive.Documents;

namespace NotebookRunner;

/// <summary>The command line: <c>NotebookRunner [--write] [--cell-timeout SECONDS] notebook.ipynb...</c></summary>
public static class Cli
{
    public const int Success = 0;
    public const int CellFailed = 1;
    public const int UsageError = 2;

    private const string Usage =
        """
        Runs Polyglot (C#) notebooks headless in the .NET Interactive C# kernel, cell by cell, and prints every cell's outputs.

        Usage: dotnet run --project tools/NotebookRunner -- [options] <notebook.ipynb>...

        Options:
          --write                  write the outputs back into each notebook (old outputs are replaced)
          --cell-timeout <time>    stop when one cell runs longer than this: seconds, or 90s, 10m (default 5m)
          -h, --help               show this help

        Exit code: 0 when every cell of every notebook ran, 1 when a cell failed, 2 for a usage error.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool color = false)
    {
        var paths = new List<string>();
        var write = false;
        var timeout = NotebookExecutor.DefaultCellTimeout;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    output.WriteLine(Usage);
                    return Success;
                case "--write":
                    write = true;
                    break;
                case "--cell-timeout":
                    if (i + 1 >= args.Length || ParseDuration(args[++i]) is not { } parsed)
                    {
                        error.WriteLine("--cell-timeout needs a duration: seconds (300), or 90s, 10m.");
                        return UsageError;
                    }
                    timeout = parsed;
                    break;
                case var option when option.StartsWith('-'):
                    error.WriteLine($"Unknown option {option}.\n\n{Usage}");
                    return UsageError;
                default:
                    paths.Add(args[i]);
                    break;
            }
        }
        if (paths.Count == 0)
        {
            error.WriteLine(Usage);
            return UsageError;
        }
        foreach (var missing in paths.Where(path => !File.Exists(path)))
        {
            error.WriteLine($"Notebook not found: {missing}");
            return UsageError;
        }

        if (paths.Count == 1)
        {
            return await RunNotebookAsync(paths[0], write, timeout, output, error, color);
        }

        // Several notebooks: each in a process of its own, as an editor gives each notebook a kernel process of its own.
        // In one process, a notebook's figures (heap size, timers, a dump's object count) would include what the
        // notebooks before it left behind.
        foreach (var path in paths)
        {
            string[] options = [.. write ? ["--write"] : Array.Empty<string>(), "--cell-timeout", timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture), path];
            var code = await RunInChildAsync(options, output, error);
            if (code != Success)
            {
                return code;
            }
        }
        return Success;
    }

    private static async Task<int> RunInChildAsync(string[] options, TextWriter output, TextWriter error)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var start = new System.Diagnostics.ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(typeof(Cli).Assembly.Location);
        }
        foreach (var option in options)
        {
            start.ArgumentList.Add(option);
        }
        using var child = System.Diagnostics.Process.Start(start)!;
        var copyOut = CopyAsync(child.StandardOutput, output);
        var copyError = CopyAsync(child.StandardError, error);
        await child.WaitForExitAsync();
        await Task.WhenAll(copyOut, copyError);
        return child.ExitCode;

        static async Task CopyAsync(StreamReader from, TextWriter to)
        {
            while (await from.ReadLineAsync() is { } line)
            {
                lock (to)
                {
                    to.WriteLine(line);
                }
            }
        }
    }

    private static async Task<int> RunNotebookAsync(
        string path, bool write, TimeSpan timeout, TextWriter output, TextWriter error, bool color)
    {
        string Dim(string text) => color ? $"\u001b[2m{text}\u001b[0m" : text;

        output.WriteLine(path);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        NotebookResult result;
        try
        {
            result = await NotebookExecutor.RunAsync(
                path,
                timeout,
                starting: (cellNumber, codeNumber, source) =>
                {
                    output.WriteLine($"  [{cellNumber}] code {codeNumber}  {Dim(Brief(source))}");
                    clock.Restart();
                },
                finished: done =>
                {
                    PrintOutputs(done.Outputs, output);
                    if (clock.Elapsed >= TimeSpan.FromSeconds(1))
                    {
                        output.WriteLine(Dim($"      ({clock.Elapsed.TotalSeconds:0.0} s)"));
                    }
                });
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            error.WriteLine(e.Message);
            return UsageError;
        }

        if (result.Failure is { } failure)
        {
            PrintOutputs(failure.Outputs, output);
            output.Flush();
            error.WriteLine($"FAILED: {failure}");
            return CellFailed;
        }

        var codeCells = result.Cells.Count;
        if (write)
        {
            NotebookExecutor.Save(result.Document, path);
            output.WriteLine($"  ok: {codeCells} code cells ran; outputs written to {path}");
        }
        else
        {
            output.WriteLine($"  ok: {codeCells} code cells ran");
        }
        return Success;
    }

    private static void PrintOutputs(IEnumerable<InteractiveDocumentOutputElement> outputs, TextWriter output)
    {
        foreach (var item in outputs.Where(o => o is not ErrorElement))
        {
            var prefix = item is ReturnValueElement ? "=> " : "";
            foreach (var line in (prefix + NotebookExecutor.ToTerminalText(item)).TrimEnd().ReplaceLineEndings("\n").Split('\n'))
            {
                output.WriteLine("      " + line);
            }
        }
    }

    /// <summary>The first non-blank line of a cell, cut to fit one terminal line, and how many lines follow.</summary>
    private static string Brief(string source)
    {
        var lines = source.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        var first = lines.FirstOrDefault(line => line.Trim().Length > 0)?.Trim() ?? "(empty)";
        if (first.Length > 70)
        {
            first = first[..69] + "…";
        }
        return lines.Length switch
        {
            1 => first,
            2 => $"{first}  (+1 line)",
            _ => $"{first}  (+{lines.Length - 1} lines)",
        };
    }

    internal static TimeSpan? ParseDuration(string text)
    {
        var (number, unit) = text.EndsWith('m') ? (text[..^1], 60) : text.EndsWith('s') ? (text[..^1], 1) : (text, 1);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? TimeSpan.FromSeconds(value * unit)
            : null;
    }
}
