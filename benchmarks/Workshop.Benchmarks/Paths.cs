namespace Workshop.Benchmarks;

/// <summary>Where things are, found from the running program (the host, or a process BenchmarkDotNet generated below bin/).</summary>
public static class Paths
{
    /// <summary>The repository root: the folder with Workshop.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>benchmarks/Workshop.Benchmarks.</summary>
    public static string Project => Path.Combine(Root, "benchmarks", "Workshop.Benchmarks");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Workshop.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (the folder with Workshop.sln). Run from inside the repository.");
    }
}
