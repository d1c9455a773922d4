using System.Text.Json.Nodes;

namespace NotebookRunner;

/// <summary>One output of a code cell, as Jupyter stores it (nbformat 4).</summary>
public abstract record CellOutput
{
    /// <summary>The output as an nbformat 4 JSON object; keys in Jupyter's (alphabetical) order.</summary>
    public abstract JsonObject ToJson(int executionCount);

    /// <summary>A readable form for the terminal.</summary>
    public abstract string ToTerminalText();

    /// <summary>Reads an output written by Jupyter, Polyglot Notebooks or this runner.</summary>
    public static CellOutput FromJson(JsonObject json)
    {
        var type = (string?)json["output_type"];
        switch (type)
        {
            case "stream":
                return new StreamOutput((string?)json["name"] ?? "stdout", NotebookText.Read(json["text"]));
            case "display_data":
            case "execute_result":
                var data = json["data"] as JsonObject;
                var plain = NotebookText.Read(data?["text/plain"]);
                var html = data?["text/html"] is { } h ? NotebookText.Read(h) : null;
                return new DisplayOutput(plain, html, IsResult: type == "execute_result");
            case "error":
                return new ErrorOutput((string?)json["ename"] ?? "", (string?)json["evalue"] ?? "");
            default:
                throw new FormatException($"Unknown output_type '{type}'.");
        }
    }
}

/// <summary>Text written to Console.Out ("stdout") or Console.Error ("stderr") while the cell ran.</summary>
public sealed record StreamOutput(string Name, string Text) : CellOutput
{
    public override JsonObject ToJson(int executionCount) => new()
    {
        ["name"] = Name,
        ["output_type"] = "stream",
        ["text"] = NotebookText.ToLines(Text),
    };

    public override string ToTerminalText() => Text.TrimEnd('\n');
}

/// <summary>
/// A displayed value: from <c>display(...)</c> (display_data) or the cell's trailing expression (execute_result).
/// Always has a text/plain form; <see cref="Html"/> is set for HTML and SVG content.
/// </summary>
public sealed record DisplayOutput(string PlainText, string? Html = null, bool IsResult = false) : CellOutput
{
    public override JsonObject ToJson(int executionCount)
    {
        var data = new JsonObject();
        if (Html is not null)
        {
            data["text/html"] = NotebookText.ToLines(Html);
        }
        data["text/plain"] = NotebookText.ToLines(PlainText);

        var json = new JsonObject { ["data"] = data };
        if (IsResult)
        {
            json["execution_count"] = executionCount;
        }
        json["metadata"] = new JsonObject();
        json["output_type"] = IsResult ? "execute_result" : "display_data";
        return json;
    }

    public override string ToTerminalText() => PlainText;
}

/// <summary>An error output left by another tool; this runner stops at the first error instead of writing one.</summary>
public sealed record ErrorOutput(string Name, string Value) : CellOutput
{
    public override JsonObject ToJson(int executionCount) => new()
    {
        ["ename"] = Name,
        ["evalue"] = Value,
        ["output_type"] = "error",
        ["traceback"] = new JsonArray(),
    };

    public override string ToTerminalText() => $"{Name}: {Value}";
}
