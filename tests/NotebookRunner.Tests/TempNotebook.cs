using System.Text.Json.Nodes;

namespace NotebookRunner.Tests;

/// <summary>A notebook file in a fresh temporary folder, deleted with the folder on dispose.</summary>
internal sealed class TempNotebook : IDisposable
{
    private TempNotebook(string directory, string path)
    {
        Directory = directory;
        Path = path;
    }

    public string Directory { get; }

    public string Path { get; }

    public static TempNotebook CopyOfSample(string name)
    {
        var temp = NewDirectory();
        var path = System.IO.Path.Combine(temp, name);
        File.Copy(System.IO.Path.Combine(AppContext.BaseDirectory, "samples", name), path);
        return new TempNotebook(temp, path);
    }

    /// <summary>Cells are ("md", text) or ("cs", code).</summary>
    public static TempNotebook Create(params (string Kind, string Source)[] cells) => Create(_ => cells);

    /// <summary>For cells that depend on where the notebook is, e.g. a relative #r path: gets the notebook's folder.</summary>
    public static TempNotebook Create(Func<string, (string Kind, string Source)[]> cellsIn)
    {
        var temp = NewDirectory();
        var cells = cellsIn(temp);
        var path = System.IO.Path.Combine(temp, "test.ipynb");
        var array = new JsonArray();
        foreach (var (kind, source) in cells)
        {
            array.Add(kind == "md"
                ? new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = source }
                : new JsonObject
                {
                    ["cell_type"] = "code",
                    ["execution_count"] = null,
                    ["metadata"] = new JsonObject { ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" } },
                    ["outputs"] = new JsonArray(),
                    ["source"] = source,
                });
        }
        var notebook = new JsonObject
        {
            ["cells"] = array,
            ["metadata"] = new JsonObject(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        File.WriteAllText(path, notebook.ToJsonString());
        return new TempNotebook(temp, path);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static string NewDirectory()
    {
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "notebook-runner-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }
}
