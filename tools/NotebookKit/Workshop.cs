namespace NotebookKit;

/// <summary>Where the workshop lives on this machine.</summary>
public static class Workshop
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>
    /// The repository root: the folder that holds <c>Workshop.sln</c>, searched upward from the current directory
    /// and, failing that, from this assembly's folder.
    /// </summary>
    public static string Root => s_root.Value;

    /// <summary>A path inside the repository, from a path relative to the root such as <c>katas/04-unbounded-caches</c>.</summary>
    internal static string PathOf(string relativePath) =>
        Path.GetFullPath(Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar)));

    /// <summary>
    /// Whether the build output <paramref name="output"/> (relative to the root) is missing or older than a file in one
    /// of <paramref name="sourceFolders"/> (relative to the root; their bin/ and obj/ folders are not sources).
    /// </summary>
    internal static bool IsStale(string output, params string[] sourceFolders)
    {
        var built = PathOf(output);
        if (!File.Exists(built))
        {
            return true;
        }

        var time = File.GetLastWriteTimeUtc(built);
        var separator = Path.DirectorySeparatorChar;
        return sourceFolders
            .Select(PathOf)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{separator}bin{separator}", StringComparison.Ordinal) && !file.Contains($"{separator}obj{separator}", StringComparison.Ordinal))
            .Any(file => File.GetLastWriteTimeUtc(file) > time);
    }

    private static string FindRoot()
    {
        var start = new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory, Path.GetDirectoryName(typeof(Workshop).Assembly.Location) };
        foreach (var folder in start)
        {
            for (var dir = string.IsNullOrEmpty(folder) ? null : new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Workshop.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException(
            "Could not find the workshop's root folder (the one with Workshop.sln) above " + Directory.GetCurrentDirectory()
            + ". Open the notebook from the notebooks/ folder of your clone.");
    }
}
