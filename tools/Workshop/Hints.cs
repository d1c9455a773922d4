using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workshop;

/// <summary>One rung of a kata's hint ladder.</summary>
public sealed record Hint(int Number, string Title, string Text);

/// <summary>A kata's hints and the file they were read from (relative to the repository root).</summary>
public sealed record HintFile(IReadOnlyList<Hint> Hints, string Source);

/// <summary>
/// Reads hints written as <c>&lt;details&gt;&lt;summary&gt;Hint N: title&lt;/summary&gt; … &lt;/details&gt;</c> blocks: from
/// <c>katas/NN-name/HINTS.md</c>, or else from the <c>## Hints</c> section of the kata's README.
/// </summary>
public static partial class HintParser
{
    public static IReadOnlyList<Hint> Parse(string markdown)
    {
        var hints = new List<Hint>();
        foreach (Match block in DetailsBlock().Matches(markdown.Replace("\r\n", "\n", StringComparison.Ordinal)))
        {
            var summary = WebUtility.HtmlDecode(Tag().Replace(block.Groups["summary"].Value, "")).Trim();
            var numbered = NumberedSummary().Match(summary);
            var number = numbered.Success ? int.Parse(numbered.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) : hints.Count + 1;
            var title = numbered.Success ? numbered.Groups["title"].Value.Trim() : summary;
            hints.Add(new Hint(number, title, Unindent(block.Groups["body"].Value)));
        }

        return hints;
    }

    /// <summary>The text under <c>## Hints</c>, up to the next second-level heading; null when there is no such section.</summary>
    public static string? HintsSection(string readme)
    {
        var lines = readme.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = Array.FindIndex(lines, l => HintsHeading().IsMatch(l));
        if (start < 0)
        {
            return null;
        }

        var end = Array.FindIndex(lines, start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        return string.Join('\n', lines[(start + 1)..(end < 0 ? lines.Length : end)]);
    }

    /// <summary>The kata's hints: HINTS.md when it has any, else the README's Hints section.</summary>
    public static HintFile Load(Kata kata)
    {
        var hintsFile = Path.Combine(kata.Directory, "HINTS.md");
        if (File.Exists(hintsFile))
        {
            var hints = Parse(File.ReadAllText(hintsFile));
            if (hints.Count > 0)
            {
                return new HintFile(hints, $"{kata.RelativeDirectory}/HINTS.md");
            }
        }

        var readme = Path.Combine(kata.Directory, "README.md");
        var section = File.Exists(readme) ? HintsSection(File.ReadAllText(readme)) : null;
        return new HintFile(section is null ? [] : Parse(section), $"{kata.RelativeDirectory}/README.md");
    }

    private static string Unindent(string body)
    {
        var lines = body.Trim('\n').Split('\n').Select(l => l.TrimEnd()).ToArray();
        var indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l)).Trim();
    }

    [GeneratedRegex(@"<details[^>]*>\s*<summary[^>]*>(?<summary>.*?)</summary>(?<body>.*?)</details>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex DetailsBlock();

    [GeneratedRegex(@"^Hint\s+(?<n>\d+)\s*[:.·\-–—]?\s*(?<title>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex NumberedSummary();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"^##\s+Hints\b", RegexOptions.IgnoreCase)]
    private static partial Regex HintsHeading();
}

/// <summary>What one <c>hint</c> gave: the hint shown now (null when every hint had been shown), how many are shown, of how many.</summary>
public sealed record HintReveal(Hint? Hint, int Shown, int Total);

/// <summary>How many hints of each kata the learner has seen, kept in <c>.workshop/hints.json</c>.</summary>
public sealed class HintLedger(string stateDirectory)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string FilePath => Path.Combine(stateDirectory, "hints.json");

    public IReadOnlyDictionary<string, int> All()
    {
        if (!File.Exists(FilePath))
        {
            return new Dictionary<string, int>();
        }

        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(FilePath)) ?? [];
        }
        catch (JsonException)
        {
            return new Dictionary<string, int>(); // a hand-edited file gone wrong: start the count again rather than fail
        }
    }

    public int Shown(string kata) => All().GetValueOrDefault(kata);

    /// <summary>Shows the next hint and counts it; once all are shown, shows none and counts nothing.</summary>
    public HintReveal RevealNext(string kata, IReadOnlyList<Hint> hints)
    {
        var shown = Math.Min(Shown(kata), hints.Count);
        if (shown >= hints.Count)
        {
            return new HintReveal(null, shown, hints.Count);
        }

        Save(kata, shown + 1);
        return new HintReveal(hints[shown], shown + 1, hints.Count);
    }

    /// <summary>Sets the count for a kata; zero forgets it.</summary>
    public void Save(string kata, int shown)
    {
        var all = new SortedDictionary<string, int>(All().ToDictionary(), StringComparer.Ordinal);
        if (shown <= 0)
        {
            all.Remove(kata);
        }
        else
        {
            all[kata] = shown;
        }

        State.WriteAtomically(FilePath, JsonSerializer.Serialize(all, Indented) + "\n");
    }
}
