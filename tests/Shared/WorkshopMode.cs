namespace Workshop.Testing;

/// <summary>
/// The workshop's two ways of reporting a leak from a kata's memory test.
/// <list type="bullet">
/// <item><c>guided</c> (the default): the whole diagnosis (what leaked, how many, how much, after what work, the bound, why
/// it matters, what holds it), then where the kata's hints are.</item>
/// <item><c>investigate</c>: the symptom only (what leaked, how many, how much, after what work, the bound), then how to
/// investigate: the learner finds what holds it with the heap tools.</item>
/// </list>
/// The mode is <c>WORKSHOP_MODE</c> when it is set, else the one word in <c>.workshop/mode</c> at the repository root
/// (which the companion's <c>mode</c> verb writes), else guided. HeapAssert knows nothing of modes: a mode only sets
/// <see cref="Leak.Detail"/> and <see cref="Leak.Footer"/>.
/// </summary>
internal static class WorkshopMode
{
    public const string Guided = "guided";
    public const string Investigate = "investigate";
    public const string EnvironmentVariable = "WORKSHOP_MODE";

    /// <summary>The mode file, relative to the repository root.</summary>
    public static readonly string FilePath = Path.Combine(".workshop", "mode");

    /// <summary>
    /// The mode named by <paramref name="environment"/> (the variable's value) or else by <paramref name="file"/> (the mode
    /// file's text), and what was wrong with a value that names no mode (then the mode is guided).
    /// </summary>
    public static (string Mode, string? Problem) Resolve(string? environment, string? file)
    {
        var (value, source) = string.IsNullOrWhiteSpace(environment)
            ? (file, $"the file {FilePath}")
            : (environment, $"the variable {EnvironmentVariable}");
        if (string.IsNullOrWhiteSpace(value))
        {
            return (Guided, null);
        }

        var word = value.Trim().ToLowerInvariant();
        return word is Guided or Investigate
            ? (word, null)
            : (Guided, $"{source} says \"{value.Trim()}\", which is not a mode (guided or investigate), so this is the guided message.");
    }

    /// <summary>The text of the mode file in the repository that holds <paramref name="directory"/>, or null when it has none.</summary>
    public static string? ReadFile(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Workshop.sln")))
            {
                var path = Path.Combine(dir.FullName, FilePath);
                return File.Exists(path) ? File.ReadAllText(path) : null;
            }
        }

        return null;
    }

    /// <summary>Sets how every leak failure of this test process is reported for <paramref name="kata"/> (e.g. <c>05-lingering-tasks</c>).</summary>
    public static void Apply(string mode, string kata, string? problem = null)
    {
        if (mode == Investigate)
        {
            Leak.Detail = LeakDetail.Symptom;
            Leak.Footer = HowToInvestigate(kata);
        }
        else
        {
            Leak.Detail = LeakDetail.Full;
            Leak.Footer = Hints(kata) + (problem is null ? "" : " Note: " + problem);
        }
    }

    /// <summary>The last line of a guided leak message.</summary>
    public static string Hints(string kata) => $"(hints: katas/{kata}/HINTS.md)";

    /// <summary>The last line of an investigate leak message.</summary>
    public static string HowToInvestigate(string kata) =>
        "To investigate: find what keeps them alive. In notebooks/" + kata + ".ipynb, or in a test of your own, take "
        + "Heap.Snapshot() before and after the work, then after.Diff(before) and heap.Objects<T>().ShortestPath(); or run "
        + "`dotnet dotnet-gcdump collect -p <pid>` while the kata runs. `dotnet run --project tools/Workshop -- mode guided` "
        + "brings back the full diagnosis.";
}
