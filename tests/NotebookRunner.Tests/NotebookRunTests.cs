using System.Text.Json.Nodes;

[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace NotebookRunner.Tests;

public sealed class NotebookRunTests
{
    [Fact]
    public async Task Runs_the_sample_and_records_every_kind_of_output()
    {
        using var sample = TempNotebook.CopyOfSample("hello.ipynb");

        var result = await NotebookExecutor.RunAsync(sample.Path);

        result.Failure.Should().BeNull();
        result.Cells.Select(c => (c.Cell.Number, c.CodeCellNumber)).Should().Equal((2, 1), (3, 2), (5, 3));
        result.Cells[0].Outputs.Should().Equal(new StreamOutput("stdout", "Hello from the first code cell\n"));
        result.Cells[1].Outputs.Should().Equal(
            new DisplayOutput("3"),
            new DisplayOutput("Point { X = 3, Y = 9 }", IsResult: true));
        result.Cells[2].Outputs.Should().Equal(
            new DisplayOutput("bold and plain", "<b>bold</b> and plain"),
            new DisplayOutput(
                "a teal square, 20 by 20",
                "<svg width=\"20\" height=\"20\"><rect width=\"20\" height=\"20\" fill=\"teal\"/></svg>"),
            new StreamOutput("stdout", "14 is the sum of the squares\n"),
            new DisplayOutput("5", IsResult: true));
    }

    [Fact]
    public async Task Formats_values_like_the_text_view_of_Polyglot()
    {
        using var notebook = TempNotebook.Create(
            ("cs", "string? nothing = null;\nnothing"),
            ("cs", "new[] { 1, 2, 3 }"),
            ("cs", "display(HTML(\"<svg><circle r=\\\"4\\\"/></svg>\"));\ndisplay(HTML(\"<p>A &amp; B</p>\"))"),
            ("cs", "Console.Error.Write(\"careful\");\nConsole.Write(\"a\");\nConsole.WriteLine(\"b\");\n1.5"));

        var result = await NotebookExecutor.RunAsync(notebook.Path);

        result.Failure.Should().BeNull();
        result.Cells.Select(c => c.Outputs).Should().SatisfyRespectively(
            first => first.Should().Equal(new DisplayOutput("<null>", IsResult: true)),
            second => second.Should().Equal(new DisplayOutput("[ 1, 2, 3 ]", IsResult: true)),
            third => third.Should().Equal(
                new DisplayOutput("[SVG image]", "<svg><circle r=\"4\"/></svg>"),
                new DisplayOutput("A & B", "<p>A &amp; B</p>")),
            fourth => fourth.Should().Equal(
                new StreamOutput("stderr", "careful"),
                new StreamOutput("stdout", "ab\n"),
                new DisplayOutput("1.5", IsResult: true)));
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
            .And.Contain("line 2: error CS0103: The name 'missing' does not exist in the current context")
            .And.Contain("| var broken = missing + next;");
    }

    [Fact]
    public async Task An_exception_names_its_type_message_and_the_cell_line_that_threw()
    {
        using var notebook = TempNotebook.Create(
            ("cs", "void Close() => throw new InvalidOperationException(\"the cache is closed\");"),
            ("cs", "Console.WriteLine(\"before\");\nClose();"));

        var result = await NotebookExecutor.RunAsync(notebook.Path);

        var failure = result.Failure!;
        failure.CellNumber.Should().Be(2);
        failure.Error.Summary.Should().Be("threw System.InvalidOperationException: the cache is closed");
        failure.Error.Details.Should().StartWith(["at line 2:", "    | Close();"]);
        failure.Outputs.Should().Equal(new StreamOutput("stdout", "before\n"));
    }

    [Fact]
    public async Task A_cell_that_runs_too_long_is_abandoned_with_a_clear_message()
    {
        using var notebook = TempNotebook.Create(("cs", "System.Threading.Thread.Sleep(20_000);"));

        var result = await NotebookExecutor.RunAsync(notebook.Path, TimeSpan.FromSeconds(1));

        result.Failure!.ToString().Should().StartWith($"{notebook.Path}, cell 1 (code cell 1) did not finish within 1 s")
            .And.Contain("--cell-timeout");
    }

    [Fact]
    public async Task Write_round_trips_outputs_and_keeps_everything_else()
    {
        using var sample = TempNotebook.CopyOfSample("hello.ipynb");
        var original = JsonNode.Parse(File.ReadAllText(sample.Path))!;
        var run = await NotebookExecutor.RunAsync(sample.Path);

        var output = new StringWriter();
        var error = new StringWriter();
        (await Cli.RunAsync(["--write", sample.Path], output, error)).Should().Be(Cli.Success, error.ToString());
        var written = File.ReadAllText(sample.Path);

        var reread = Notebook.Load(sample.Path);
        reread.Cells.Select(c => (c.CellType, c.Id, c.Source))
            .Should().Equal(run.Notebook.Cells.Select(c => (c.CellType, c.Id, c.Source)));
        reread.CodeCells.Select(c => c.ExecutionCount).Should().Equal(1, 2, 3);
        reread.CodeCells.Select(c => c.Outputs).Should().BeEquivalentTo(
            run.Cells.Select(c => c.Outputs), options => options.WithStrictOrdering().RespectingRuntimeTypes());

        // Apart from outputs and execution counts, the file is what it was: metadata, markdown, ids.
        var stripped = JsonNode.Parse(written)!;
        foreach (var cell in stripped["cells"]!.AsArray().OfType<JsonObject>().Where(c => (string?)c["cell_type"] == "code"))
        {
            cell["execution_count"] = null;
            cell["outputs"] = new JsonArray();
        }
        JsonNode.DeepEquals(stripped, original).Should().BeTrue();

        written.Should().NotContain("\r").And.EndWith("}\n").And.Contain("\n  \"cells\": [\n    {\n      \"cell_type\"");
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
}
