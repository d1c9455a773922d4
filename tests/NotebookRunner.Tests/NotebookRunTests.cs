using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;

[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace NotebookRunner.Tests;

public sealed class NotebookRunTests
{
    [Fact]
    public async Task Runs_the_sample_in_the_kernel_and_records_every_kind_of_output()
    {
        using var sample = TempNotebook.CopyOfSample("hello.ipynb");

        var result = await NotebookExecutor.RunAsync(sample.Path);

        result.Failure.Should().BeNull();
        result.Cells.Select(c => (c.CellNumber, c.CodeCellNumber)).Should().Equal((2, 1), (3, 2), (5, 3));
        Texts(result.Cells[0]).Should().Equal("stdout: Hello from the first code cell\n");
        // The kernel shows a record as an HTML table, and only as HTML: this is what Polyglot stores too.
        Texts(result.Cells[1]).Should().SatisfyRespectively(
            count => count.Should().Be("display: 3"),
            point => point.Should().StartWith("result: Point { X = 3, Y = 9 }"));
        Texts(result.Cells[2]).Should().Equal(
            "display: bold and plain",
            "display: [SVG image]",
            "stdout: 14 is the sum of the squares\n",
            "result: 5");
        result.Cells[2].Outputs.OfType<DisplayElement>().First().Data["text/html"].Should().Be("<b>bold</b> and plain");
    }

    [Fact]
    public async Task What_the_real_kernel_rejects_fails_here_too()
    {
        // Both compiled in the old emulation of the kernel, and both stopped learners in VS Code.
        using var twoArgumentHtml = TempNotebook.Create(("cs", "display(HTML(\"<svg/>\", \"a chart\"));"));
        using var missingUsing = TempNotebook.Create(("cs", "CancellationToken none = default;"));

        var html = await NotebookExecutor.RunAsync(twoArgumentHtml.Path);
        var token = await NotebookExecutor.RunAsync(missingUsing.Path);

        html.Failure!.ToString().Should().Contain("error CS1501: No overload for method 'HTML' takes 2 arguments");
        token.Failure!.ToString().Should().Contain("error CS0246: The type or namespace name 'CancellationToken' could not be found");
    }

    [Fact]
    public async Task A_compile_error_names_the_cell_the_line_and_the_diagnostic()
    {
        using var notebook = TempNotebook.Create(
            ("md", "# Title"),
            ("cs", "var total = 1;"),
            ("cs", "var next = total + 1;\nvar broken = missing + next;"),
            ("cs", "Console.WriteLine(\"never runs\");"));

        var result = await NotebookExecutor.RunAsync(notebook.Path);

        result.Cells.Should().HaveCount(1);
        var failure = result.Failure!;
        failure.CellNumber.Should().Be(3);
        failure.CodeCellNumber.Should().Be(2);
        failure.ToString().Should().StartWith($"{notebook.Path}, cell 3 (code cell 2) does not compile")
            .And.Contain("(2,14): error CS0103: The name 'missing' does not exist in the current context")
            .And.Contain("line 2 | var broken = missing + next;");
    }

    [Fact]
    public async Task An_exception_names_its_type_and_message_and_keeps_what_the_cell_printed()
    {
        using var notebook = TempNotebook.Create(
            ("cs", "void Close() => throw new InvalidOperationException(\"the cache is closed\");"),
            ("cs", "Console.WriteLine(\"before\");\nClose();"));

        var result = await NotebookExecutor.RunAsync(notebook.Path);

        var failure = result.Failure!;
        failure.CellNumber.Should().Be(2);
        failure.Reason.Should().Be("threw System.InvalidOperationException: the cache is closed");
        failure.Outputs.OfType<TextElement>().Select(t => t.Text).Should().Equal("before\n");
    }

    [Fact]
    public async Task A_cell_that_runs_too_long_is_abandoned_with_a_clear_message()
    {
        using var notebook = TempNotebook.Create(("cs", "System.Threading.Thread.Sleep(20_000);"));

        var result = await NotebookExecutor.RunAsync(notebook.Path, TimeSpan.FromSeconds(2));

        result.Failure!.ToString().Should().StartWith($"{notebook.Path}, cell 1 (code cell 1) was still running after 2 s")
            .And.Contain("--cell-timeout");
    }

    [Fact]
    public async Task Write_stores_the_kernels_outputs_and_keeps_everything_else()
    {
        using var sample = TempNotebook.CopyOfSample("hello.ipynb");
        var original = JsonNode.Parse(File.ReadAllText(sample.Path))!;

        var output = new StringWriter();
        var error = new StringWriter();
        (await Cli.RunAsync(["--write", sample.Path], output, error)).Should().Be(Cli.Success, error.ToString());
        var written = File.ReadAllText(sample.Path);

        var reread = Notebook.Parse(written);
        reread.Elements.Where(e => e.KernelName == "csharp").Select(e => e.ExecutionOrder).Should().Equal(1, 2, 3);
        reread.Elements[2].Outputs.Should().HaveCount(2);
        reread.Elements[2].Outputs[1].Should().BeOfType<ReturnValueElement>()
            .Which.Data.Should().ContainKey("text/html");
        written.Should().Contain("Point { X = 3, Y = 9 }");

        // Apart from outputs and execution counts, the notebook is what it was: metadata, markdown, ids.
        var stripped = JsonNode.Parse(written)!;
        foreach (var cell in stripped["cells"]!.AsArray().OfType<JsonObject>().Where(c => (string?)c["cell_type"] == "code"))
        {
            cell["execution_count"] = null;
            cell["outputs"] = new JsonArray();
        }

        JsonNode.DeepEquals(stripped["cells"], original["cells"]).Should().BeTrue();
        stripped["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>().Should().Be("csharp");

        written.Should().NotContain("\r").And.EndWith("}\n");
        (await Cli.RunAsync(["--write", sample.Path], output, error)).Should().Be(Cli.Success);
        File.ReadAllText(sample.Path).Should().Be(written, "a second run must write the very same bytes");
    }

    [Fact]
    public async Task The_command_line_exits_non_zero_and_names_the_failing_cell()
    {
        using var notebook = TempNotebook.Create(("md", "intro"), ("cs", "throw new TimeoutException(\"slow\");"));
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await Cli.RunAsync([notebook.Path], output, error);

        code.Should().Be(Cli.CellFailed);
        error.ToString().Should().StartWith($"FAILED: {notebook.Path}, cell 2 (code cell 1) threw System.TimeoutException: slow");
        output.ToString().Should().Contain("[2] code 1  throw new TimeoutException(\"slow\");");

        var before = File.ReadAllText(notebook.Path);
        (await Cli.RunAsync(["--write", notebook.Path], output, error)).Should().Be(Cli.CellFailed);
        File.ReadAllText(notebook.Path).Should().Be(before, "a notebook whose run failed is not written");

        (await Cli.RunAsync(["no/such/notebook.ipynb"], output, error)).Should().Be(Cli.UsageError);
        (await Cli.RunAsync([notebook.Path, "--cell-timeout", "soon"], output, error)).Should().Be(Cli.UsageError);
    }

    private static IEnumerable<string> Texts(ExecutedCell cell) => cell.Outputs.Select(o => o switch
    {
        TextElement text => $"{text.Name}: {text.Text}",
        ReturnValueElement => "result: " + NotebookExecutor.ToTerminalText(o),
        _ => "display: " + NotebookExecutor.ToTerminalText(o),
    });
}
