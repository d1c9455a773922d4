using System.Text;

namespace NotebookKit;

/// <summary>Listings and diffs of the workshop's source files, for showing code in a notebook.</summary>
public static class Code
{
    private const int Context = 3;

    /// <summary>
    /// The lines <paramref name="from"/> to <paramref name="to"/> (1-based, inclusive) of a file, each with its number.
    /// The path is relative to the workshop's root, e.g. <c>katas/04-unbounded-caches/ReportService.cs</c>.
    /// </summary>
    public static string Show(string relativePath, int from = 1, int to = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        var lines = ReadLines(Workshop.PathOf(relativePath));
        var first = Math.Max(1, from);
        var last = Math.Min(lines.Length, to);
        if (first > last)
        {
            throw new ArgumentOutOfRangeException(nameof(from), $"{relativePath} has {lines.Length} lines; lines {from} to {to} are not in it.");
        }

        var width = last.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        var text = new StringBuilder().AppendLine($"// {relativePath}" + (first > 1 || last < lines.Length ? $", lines {first}-{last}" : ""));
        for (var n = first; n <= last; n++)
        {
            text.Append(n.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width)).Append("  ").AppendLine(lines[n - 1]);
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>
    /// A unified diff of the kata's C# files (<c>katas/&lt;kata&gt;/**/*.cs</c>) against the solution's, plus the project
    /// file when the two differ: what <c>diff -ru katas/&lt;kata&gt; solutions/&lt;kata&gt;</c> shows for code.
    /// </summary>
    public static string Diff(string kata)
    {
        ArgumentException.ThrowIfNullOrEmpty(kata);
        var kataDir = Workshop.PathOf("katas/" + kata);
        var solutionDir = Workshop.PathOf("solutions/" + kata);
        if (!Directory.Exists(kataDir) || !Directory.Exists(solutionDir))
        {
            throw new ArgumentException($"Expected katas/{kata} and solutions/{kata} in {Workshop.Root}.", nameof(kata));
        }

        var files = SourceFiles(kataDir).Union(SourceFiles(solutionDir), StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var file in files)
        {
            var left = Path.Combine(kataDir, file);
            var right = Path.Combine(solutionDir, file);
            var leftLines = File.Exists(left) ? ReadLines(left) : [];
            var rightLines = File.Exists(right) ? ReadLines(right) : [];
            var hunks = Hunks(leftLines, rightLines);
            if (hunks.Count == 0)
            {
                continue;
            }

            var name = file.Replace('\\', '/');
            text.AppendLine(File.Exists(left) ? $"--- katas/{kata}/{name}" : "--- /dev/null");
            text.AppendLine(File.Exists(right) ? $"+++ solutions/{kata}/{name}" : "+++ /dev/null");
            foreach (var hunk in hunks)
            {
                text.Append(hunk);
            }
        }

        return text.Length == 0 ? $"katas/{kata} and solutions/{kata} have the same code." : text.ToString().TrimEnd();
    }

    private static IEnumerable<string> SourceFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(dir, path))
            .Where(path => path.EndsWith(".cs", StringComparison.Ordinal) || path.EndsWith(".csproj", StringComparison.Ordinal))
            .Where(path => !IsBuildOutput(path));

    private static bool IsBuildOutput(string relative)
    {
        var first = relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)[0];
        return first is "bin" or "obj";
    }

    private static string[] ReadLines(string path) =>
        File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');

    /// <summary>Unified-diff hunks with three lines of context, from a longest-common-subsequence edit script.</summary>
    private static List<string> Hunks(string[] a, string[] b)
    {
        var edits = EditScript(a, b);
        var hunks = new List<string>();
        var i = 0;
        while (i < edits.Count)
        {
            if (edits[i].Kind == ' ')
            {
                i++;
                continue;
            }

            // A hunk starts up to three lines before the first change and ends three lines after the last change
            // that is followed by fewer than 2 × 3 unchanged lines.
            var start = Math.Max(0, i - Context);
            var end = i;
            while (end < edits.Count)
            {
                if (edits[end].Kind != ' ')
                {
                    end++;
                    continue;
                }

                var run = 0;
                while (end + run < edits.Count && edits[end + run].Kind == ' ')
                {
                    run++;
                }

                if (end + run >= edits.Count || run > 2 * Context)
                {
                    end += Math.Min(run, Context);
                    break;
                }

                end += run;
            }

            var slice = edits.GetRange(start, end - start);
            var oldStart = slice.FirstOrDefault(e => e.Kind != '+').OldLine;
            var newStart = slice.FirstOrDefault(e => e.Kind != '-').NewLine;
            var oldCount = slice.Count(e => e.Kind != '+');
            var newCount = slice.Count(e => e.Kind != '-');
            var hunk = new StringBuilder().AppendLine($"@@ -{(oldCount == 0 ? OldBefore(edits, start) : oldStart)},{oldCount} +{(newCount == 0 ? NewBefore(edits, start) : newStart)},{newCount} @@");
            foreach (var edit in slice)
            {
                hunk.Append(edit.Kind).AppendLine(edit.Text);
            }

            hunks.Add(hunk.ToString());
            i = end;
        }

        return hunks;
    }

    private static int OldBefore(List<Edit> edits, int index) => edits.Take(index).Count(e => e.Kind != '+');

    private static int NewBefore(List<Edit> edits, int index) => edits.Take(index).Count(e => e.Kind != '-');

    private static List<Edit> EditScript(string[] a, string[] b)
    {
        // lcs[i, j] = length of the longest common subsequence of a[i..] and b[j..]; the files are small.
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var edits = new List<Edit>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                edits.Add(new Edit(' ', a[x], x + 1, y + 1));
                x++;
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] > lcs[x + 1, y]))
            {
                edits.Add(new Edit('+', b[y], x, y + 1));
                y++;
            }
            else
            {
                edits.Add(new Edit('-', a[x], x + 1, y));
                x++;
            }
        }

        return edits;
    }

    private readonly record struct Edit(char Kind, string Text, int OldLine, int NewLine);
}
