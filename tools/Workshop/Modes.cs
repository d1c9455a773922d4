namespace Workshop;

/// <summary>
/// Guided or investigate: how the katas' memory tests word a leak. The tests read it themselves, from the variable
/// <c>WORKSHOP_MODE</c> when it is set, else from <c>.workshop/mode</c>, else guided; the companion shows and sets the file.
/// </summary>
public static class Modes
{
    public const string Guided = "guided";
    public const string Investigate = "investigate";
    public const string EnvironmentVariable = "WORKSHOP_MODE";

    public static string FilePath(string stateDirectory) => Path.Combine(stateDirectory, "mode");

    /// <summary>A mode's name, or null when <paramref name="text"/> names none.</summary>
    public static string? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        Guided => Guided,
        Investigate => Investigate,
        _ => null,
    };

    /// <summary>The mode in force, where it comes from, and what is wrong with a value that names no mode.</summary>
    public static (string Mode, string Source, string? Problem) Effective(string stateDirectory, string? environment)
    {
        var file = FilePath(stateDirectory);
        var (value, source) = string.IsNullOrWhiteSpace(environment)
            ? (File.Exists(file) ? File.ReadAllText(file) : null, ".workshop/mode")
            : (environment, $"the variable {EnvironmentVariable}");
        if (string.IsNullOrWhiteSpace(value))
        {
            return (Guided, "the default", null);
        }

        return Parse(value) is { } mode
            ? (mode, source, null)
            : (Guided, "the default", $"{source} says \"{value.Trim()}\", which is not a mode (guided or investigate)");
    }

    public static void Save(string stateDirectory, string mode) => State.WriteAtomically(FilePath(stateDirectory), mode + "\n");
}
