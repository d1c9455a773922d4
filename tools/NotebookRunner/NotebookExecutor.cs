namespace NotebookRunner;

public sealed record ExecutedCell(NotebookCell Cell, int CodeCellNumber, IReadOnlyList<CellOutput> Outputs);

/// <summary>
/// The first cell that failed: <see cref="CellNumber"/> counts all cells, <see cref="CodeCellNumber"/> code cells only;
/// <see cref="Outputs"/> holds what the cell printed or displayed before it failed.
/// </summary>
public sealed record NotebookFailure(
    string NotebookPath, int CellNumber, int CodeCellNumber, CellError Error, IReadOnlyList<CellOutput> Outputs)
{
    public string Headline => $"{NotebookPath}, cell {CellNumber} (code cell {CodeCellNumber}) {Error.Summary}";

    public override string ToString() =>
        string.Join("\n", Error.Details.Select(line => "  " + line).Prepend(Headline));
}

public sealed record NotebookResult(Notebook Notebook, IReadOnlyList<ExecutedCell> Cells, NotebookFailure? Failure)
{
    public bool Succeeded => Failure is null;
}

/// <summary>Runs every code cell of a notebook in order and stops at the first failure.</summary>
public static class NotebookExecutor
{
    public static readonly TimeSpan DefaultCellTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs the notebook at <paramref name="path"/>; <paramref name="starting"/> is called before each code cell
    /// (cell, code-cell number) and <paramref name="finished"/> after each one that ran without error.
    /// </summary>
    public static async Task<NotebookResult> RunAsync(
        string path,
        TimeSpan? cellTimeout = null,
        Action<NotebookCell, int>? starting = null,
        Action<ExecutedCell>? finished = null)
    {
        var notebook = Notebook.Load(path);
        var kernel = new CSharpKernel(path);
        var executed = new List<ExecutedCell>();
        var codeNumber = 0;
        foreach (var cell in notebook.CodeCells)
        {
            codeNumber++;
            starting?.Invoke(cell, codeNumber);

            var kernelName = (string?)cell.Metadata?["polyglot_notebook"]?["kernelName"];
            if (kernelName is not null and not "csharp")
            {
                var error = new CellError(
                    $"uses the '{kernelName}' kernel",
                    ["This runner runs C# cells only: set the cell's kernel to C# (\"kernelName\": \"csharp\")."]);
                return new NotebookResult(notebook, executed, new NotebookFailure(path, cell.Number, codeNumber, error, []));
            }

            var run = await kernel.RunCellAsync(StripKernelDirective(cell.Source), cell.Number, cellTimeout ?? DefaultCellTimeout);
            if (run.Error is not null)
            {
                return new NotebookResult(notebook, executed, new NotebookFailure(path, cell.Number, codeNumber, run.Error, run.Outputs));
            }

            cell.SetOutputs(codeNumber, run.Outputs);
            var done = new ExecutedCell(cell, codeNumber, run.Outputs);
            executed.Add(done);
            finished?.Invoke(done);
        }
        return new NotebookResult(notebook, executed, null);
    }

    /// <summary>Polyglot lets a cell start with "#!csharp"; blank it out (keeping line numbers) since the kernel is C# anyway.</summary>
    private static string StripKernelDirective(string source)
    {
        var firstLineEnd = source.IndexOf('\n');
        var firstLine = (firstLineEnd < 0 ? source : source[..firstLineEnd]).Trim();
        return firstLine is "#!csharp" or "#!c#" or "#!cs"
            ? (firstLineEnd < 0 ? "" : source[firstLineEnd..])
            : source;
    }
}
