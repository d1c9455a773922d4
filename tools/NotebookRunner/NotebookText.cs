using System.Text.Json.Nodes;

namespace NotebookRunner;

/// <summary>Jupyter's multi-line strings: stored as a list of lines, each but the last ending in "\n".</summary>
public static class NotebookText
{
    public static string Read(JsonNode? node) => node switch
    {
        null => "",
        JsonArray lines => string.Concat(lines.Select(line => (string?)line ?? "")),
        _ => (string?)node ?? "",
    };

    public static JsonArray ToLines(string text)
    {
        var lines = new JsonArray();
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            var next = end < 0 ? text.Length : end + 1;
            lines.Add(text[start..next]);
            start = next;
        }
        return lines;
    }
}
