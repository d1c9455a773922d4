using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookRunner;

/// <summary>
/// An .ipynb file (nbformat 4) kept as a JSON tree, so that everything the runner does not touch
/// (metadata, markdown cells, cell ids, key order) is written back exactly as it was read.
/// </summary>
public sealed class Notebook
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        IndentSize = 2,
        NewLine = "\n",
        // Keep HTML, SVG and non-ASCII text readable in diffs instead of \u003C-style escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly JsonObject _root;

    private Notebook(string path, JsonObject root, IReadOnlyList<NotebookCell> cells)
    {
        Path = path;
        _root = root;
        Cells = cells;
    }

    public string Path { get; }

    public IReadOnlyList<NotebookCell> Cells { get; }

    public IEnumerable<NotebookCell> CodeCells => Cells.Where(cell => cell.IsCode);

    public static Notebook Load(string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path} is not valid JSON: {e.Message}", e);
        }

        if (node is not JsonObject root || root["cells"] is not JsonArray cellArray)
        {
            throw new FormatException($"{path} is not a Jupyter notebook: it has no \"cells\" list.");
        }
        if (root["nbformat"] is JsonValue format && (int)format != 4)
        {
            throw new FormatException($"{path} uses nbformat {(int)format}; only nbformat 4 is supported.");
        }

        var cells = new List<NotebookCell>();
        foreach (var item in cellArray)
        {
            if (item is not JsonObject cell)
            {
                throw new FormatException($"{path}: cell {cells.Count + 1} is not a JSON object.");
            }
            cells.Add(new NotebookCell(cells.Count + 1, cell));
        }
        return new Notebook(path, root, cells);
    }

    /// <summary>The notebook as Jupyter-style JSON: 2-space indent, "\n" line ends, multi-line text as lists of lines.</summary>
    public string ToJson()
    {
        foreach (var cell in Cells)
        {
            cell.NormalizeSource();
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            _root.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public void Save(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, ToJson(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>One cell of a notebook; <see cref="Number"/> is 1-based among all cells, markdown included.</summary>
public sealed class NotebookCell
{
    private readonly JsonObject _json;

    internal NotebookCell(int number, JsonObject json)
    {
        Number = number;
        _json = json;
    }

    public int Number { get; }

    public string CellType => (string?)_json["cell_type"] ?? "";

    public bool IsCode => CellType == "code";

    public string? Id => (string?)_json["id"];

    public JsonObject? Metadata => _json["metadata"] as JsonObject;

    public string Source => NotebookText.Read(_json["source"]);

    public int? ExecutionCount => _json["execution_count"] is JsonValue count ? (int)count : null;

    public IReadOnlyList<CellOutput> Outputs =>
        _json["outputs"] is JsonArray outputs
            ? outputs.OfType<JsonObject>().Select(CellOutput.FromJson).ToList()
            : [];

    /// <summary>Replaces the cell's outputs and execution count, leaving its other fields where they are.</summary>
    public void SetOutputs(int executionCount, IEnumerable<CellOutput> outputs)
    {
        _json["execution_count"] = executionCount;
        _json["outputs"] = new JsonArray(outputs.Select(output => (JsonNode)output.ToJson(executionCount)).ToArray());
    }

    internal void NormalizeSource() => _json["source"] = NotebookText.ToLines(Source);
}
