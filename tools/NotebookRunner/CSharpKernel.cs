using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;

namespace NotebookRunner;

/// <summary>What went wrong in a cell, as lines ready to print.</summary>
public sealed record CellError(string Summary, IReadOnlyList<string> Details);

public sealed record CellRun(IReadOnlyList<CellOutput> Outputs, CellError? Error);

/// <summary>
/// Runs C# cells one after another in one Roslyn script session, like Polyglot's C# kernel:
/// variables, types and <c>#r</c> references of a cell are visible in the cells after it.
/// </summary>
public sealed class CSharpKernel
{
    /// <summary>The usings every cell starts with (those of Polyglot's C# kernel, plus System.IO).</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
    [
        "System",
        "System.Collections.Generic",
        "System.IO",
        "System.Linq",
        "System.Net.Http",
        "System.Text",
        "System.Threading",
        "System.Threading.Tasks",
    ];

    private static readonly Lazy<IReadOnlyList<MetadataReference>> RuntimeReferences = new(LoadRuntimeReferences);

    private readonly string _notebookPath;
    private readonly ScriptOptions _options;
    private readonly NotebookGlobals _globals = new();
    private readonly CellConsoleWriter _stdout;
    private readonly CellConsoleWriter _stderr;
    private ScriptState<object>? _state;

    public CSharpKernel(string notebookPath)
    {
        _notebookPath = Path.GetFullPath(notebookPath);
        var directory = Path.GetDirectoryName(_notebookPath)!;
        _options = ScriptOptions.Default
            .WithReferences(RuntimeReferences.Value.Append(MetadataReference.CreateFromFile(typeof(NotebookGlobals).Assembly.Location)))
            .WithImports(DefaultImports)
            .WithMetadataResolver(new NotebookMetadataResolver(directory))
            .WithSourceResolver(new SourceFileResolver([], directory))
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8);
        _stdout = new CellConsoleWriter("stdout", () => _globals.Current, Console.Out);
        _stderr = new CellConsoleWriter("stderr", () => _globals.Current, Console.Error);
    }

    /// <summary>
    /// Runs one cell. <paramref name="cellNumber"/> names the cell in stack traces.
    /// A cell still running after <paramref name="timeout"/> is abandoned (its thread is a background thread).
    /// </summary>
    public async Task<CellRun> RunCellAsync(string code, int cellNumber, TimeSpan timeout)
    {
        var cellPath = $"{_notebookPath}#cell{cellNumber}";
        var options = _options.WithFilePath(cellPath);
        var collector = new OutputCollector();
        var (stdout, stderr) = (Console.Out, Console.Error);
        _globals.Current = collector;
        Console.SetOut(_stdout);
        Console.SetError(_stderr);
        try
        {
            var previous = _state;
            var run = Task.Factory.StartNew(
                () => previous is null
                    ? CSharpScript.RunAsync<object>(code, options, _globals, typeof(NotebookGlobals))
                    : previous.ContinueWithAsync<object>(code, options),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).Unwrap();

            // The time limit's timer is cancelled as soon as the cell ends, so no cell leaves a pending delay behind.
            using var limit = new CancellationTokenSource();
            var finished = await Task.WhenAny(run, Task.Delay(timeout, limit.Token));
            await limit.CancelAsync();
            if (finished != run)
            {
                _ = run.ContinueWith(t => t.Exception, TaskScheduler.Default);
                return new CellRun(collector.ToList(), new CellError(
                    $"did not finish within {Describe(timeout)}",
                    ["The cell was abandoned. If it needs more time, raise the limit with --cell-timeout <seconds>."]));
            }

            ScriptState<object> state;
            try
            {
                state = await run;
            }
            catch (CompilationErrorException e)
            {
                return new CellRun(collector.ToList(), CompileError(code, e));
            }
            catch (Exception e)
            {
                return new CellRun(collector.ToList(), RuntimeError(code, cellPath, e));
            }

            _state = state;
            if (HasTrailingExpression(state.Script.GetCompilation()))
            {
                collector.Add(Display.Format(state.ReturnValue, isResult: true));
            }
            return new CellRun(collector.ToList(), null);
        }
        finally
        {
            _globals.Current = null;
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    /// <summary>Does the cell end in an expression without a semicolon whose type is not void (Polyglot's "return value")?</summary>
    private static bool HasTrailingExpression(Compilation compilation)
    {
        var tree = compilation.SyntaxTrees.Single();
        if (tree.GetRoot() is not CompilationUnitSyntax { Members: [.., GlobalStatementSyntax { Statement: ExpressionStatementSyntax last }] } ||
            !last.SemicolonToken.IsMissing)
        {
            return false;
        }
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(last.Expression).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    private static CellError CompileError(string code, CompilationErrorException e)
    {
        var lines = code.ReplaceLineEndings("\n").Split('\n');
        var details = new List<string>();
        foreach (var diagnostic in e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
        {
            var line = diagnostic.Location.GetLineSpan().StartLinePosition.Line;
            details.Add($"line {line + 1}: error {diagnostic.Id}: {diagnostic.GetMessage()}");
            if (diagnostic.Location.IsInSource && line < lines.Length)
            {
                details.Add($"    | {lines[line].TrimEnd()}");
            }
        }
        return new CellError("does not compile", details);
    }

    private static CellError RuntimeError(string code, string cellPath, Exception e)
    {
        var details = new List<string>();
        var frame = new StackTrace(e, fNeedFileInfo: true).GetFrames()
            .FirstOrDefault(f => f.GetFileName() == cellPath && f.GetFileLineNumber() > 0);
        if (frame is not null)
        {
            var lines = code.ReplaceLineEndings("\n").Split('\n');
            var line = frame.GetFileLineNumber();
            details.Add($"at line {line}:");
            if (line <= lines.Length)
            {
                details.Add($"    | {lines[line - 1].TrimEnd()}");
            }
        }
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            details.Add($"inner: {inner.GetType().FullName}: {inner.Message}");
        }
        // The notebook's own frames only: the script host's frames below them say nothing useful.
        var stack = (e.StackTrace ?? "").ReplaceLineEndings("\n").Split('\n')
            .TakeWhile(l => !l.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal))
            .Where(l => l.Length > 0 && !l.Contains("--- End of stack trace", StringComparison.Ordinal))
            .Select(l => "  " + l.Trim());
        details.AddRange(stack);
        return new CellError($"threw {e.GetType().FullName}: {e.Message}", details);
    }

    private static string Describe(TimeSpan timeout) =>
        timeout.TotalSeconds < 120 ? $"{timeout.TotalSeconds:0.###} s" : $"{timeout.TotalMinutes:0.##} min";

    /// <summary>Every assembly of the shared frameworks this process runs on (Microsoft.NETCore.App, Microsoft.AspNetCore.App).</summary>
    private static IReadOnlyList<MetadataReference> LoadRuntimeReferences()
    {
        var sharedRoot = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location)))!;
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator);
        return trusted
            .Where(path => path.StartsWith(sharedRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToList();
    }
}
