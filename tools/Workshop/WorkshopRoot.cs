using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Workshop;

/// <summary>The repository the companion works in: found from the current folder, with its katas discovered from disk.</summary>
public sealed partial class WorkshopRoot
{
    private IReadOnlyList<Kata>? _katas;

    public WorkshopRoot(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }

    /// <summary>The learner's own state: the mode, the hints shown, the last test results. Ignored by git.</summary>
    public string StateDirectory => System.IO.Path.Combine(Path, ".workshop");

    /// <summary>Every folder <c>katas/NN-*</c>, in the order of their numbers.</summary>
    public IReadOnlyList<Kata> Katas => _katas ??= Discover(Path);

    /// <summary>The repository that holds <paramref name="start"/>: the nearest folder above it with Workshop.sln.</summary>
    public static WorkshopRoot Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Workshop.sln")) && Directory.Exists(System.IO.Path.Combine(dir.FullName, "katas")))
            {
                return new WorkshopRoot(dir.FullName);
            }
        }

        throw new WorkshopException($"Run this from the workshop's folder: there is no Workshop.sln in {start} or above it.");
    }

    /// <summary>The kata a learner names: <c>02</c>, <c>2</c>, <c>02-double-channel-writes</c>, <c>double-channel-writes</c> or a path to its folder.</summary>
    public Kata Resolve(string name) => KataNames.Resolve(name, Katas);

    /// <summary>Relative to the repository root, with forward slashes: what a learner sees in messages.</summary>
    public string Relative(string path) => System.IO.Path.GetRelativePath(Path, path).Replace('\\', '/');

    public static IReadOnlyList<Kata> Discover(string root)
    {
        var katas = System.IO.Path.Combine(root, "katas");
        if (!Directory.Exists(katas))
        {
            return [];
        }

        var tests = TestProjectsByKata(System.IO.Path.Combine(root, "tests"));
        return [.. Directory.GetDirectories(katas)
            .Select(dir => (Dir: dir, Match: KataFolder().Match(System.IO.Path.GetFileName(dir))))
            .Where(k => k.Match.Success)
            .Select(k =>
            {
                var name = k.Match.Value;
                return new Kata(k.Match.Groups["id"].Value, int.Parse(k.Match.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture),
                    name, TitleOf(k.Dir, name), k.Dir, tests.GetValueOrDefault(name));
            })
            .OrderBy(k => k.Number).ThenBy(k => k.Name, StringComparer.Ordinal)];
    }

    /// <summary>Each test project's <c>&lt;Kata&gt;</c>, mapped to the project.</summary>
    private static Dictionary<string, string> TestProjectsByKata(string tests)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(tests))
        {
            return map;
        }

        foreach (var project in Directory.EnumerateFiles(tests, "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (project.Contains($"{System.IO.Path.DirectorySeparatorChar}bin{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || project.Contains($"{System.IO.Path.DirectorySeparatorChar}obj{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            var kata = KataOf(project);
            if (kata is not null)
            {
                map.TryAdd(kata, project);
            }
        }

        return map;
    }

    /// <summary>The kata a test project names, or null for a tooling test project.</summary>
    public static string? KataOf(string project)
    {
        try
        {
            var kata = XDocument.Load(project).Descendants().FirstOrDefault(e => e.Name.LocalName == "Kata")?.Value.Trim();
            return string.IsNullOrEmpty(kata) ? null : kata;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    /// <summary>From the README's first line, <c># 02 · Double channel writes</c>; else from the folder's name.</summary>
    public static string TitleOf(string directory, string name)
    {
        var readme = System.IO.Path.Combine(directory, "README.md");
        if (File.Exists(readme))
        {
            var heading = File.ReadLines(readme).FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal));
            if (heading is not null)
            {
                var title = HeadingNumber().Replace(heading[2..].Trim(), "");
                if (title.Length > 0)
                {
                    return title;
                }
            }
        }

        var words = name[(name.IndexOf('-') + 1)..].Replace('-', ' ');
        return words.Length == 0 ? name : char.ToUpperInvariant(words[0]) + words[1..];
    }

    [GeneratedRegex(@"^(?<id>\d+)-\S+$")]
    private static partial Regex KataFolder();

    [GeneratedRegex(@"^\d+\s*[·:.\-–—]\s*")]
    private static partial Regex HeadingNumber();
}

/// <summary>How a learner may name a kata on the command line.</summary>
public static class KataNames
{
    public static Kata Resolve(string input, IReadOnlyList<Kata> katas)
    {
        var name = input.Trim().TrimEnd('/', '\\');
        var slash = name.LastIndexOfAny(['/', '\\']);
        if (slash >= 0)
        {
            name = name[(slash + 1)..]; // katas/02-double-channel-writes/ from tab completion, or a solutions/ path
        }

        if (name.Length == 0)
        {
            throw Unknown(input, katas);
        }

        var exact = katas.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));
        if (exact is not null)
        {
            return exact;
        }

        if (name.All(char.IsAsciiDigit))
        {
            var number = int.Parse(name, System.Globalization.CultureInfo.InvariantCulture);
            var byNumber = katas.Where(k => k.Number == number).ToArray();
            if (byNumber.Length == 1)
            {
                return byNumber[0];
            }

            throw byNumber.Length == 0 ? Unknown(input, katas) : Ambiguous(input, byNumber);
        }

        // A unique start of the folder's name (02-double), or its name without the number (double-channel-writes).
        var partial = katas.Where(k => k.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase)
            || k.Name[(k.Name.IndexOf('-') + 1)..].StartsWith(name, StringComparison.OrdinalIgnoreCase)).ToArray();
        return partial.Length switch
        {
            1 => partial[0],
            0 => throw Unknown(input, katas),
            _ => throw Ambiguous(input, partial),
        };
    }

    private static WorkshopException Unknown(string input, IReadOnlyList<Kata> katas) => new(katas.Count == 0
        ? $"There is no kata \"{input}\": this repository has no katas/NN-name folder."
        : $"There is no kata \"{input}\". Name one by its number or its folder:{Environment.NewLine}{List(katas)}");

    private static WorkshopException Ambiguous(string input, IReadOnlyList<Kata> katas) =>
        new($"\"{input}\" could be more than one kata:{Environment.NewLine}{List(katas)}");

    private static string List(IEnumerable<Kata> katas) =>
        string.Join(Environment.NewLine, katas.Select(k => $"  {k.Id}  {k.Name}"));
}
