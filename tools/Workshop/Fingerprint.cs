using System.Security.Cryptography;
using System.Text;

namespace Workshop;

/// <summary>
/// A hash of every file a kata's test run is built from (the kata's folder, its test project, the heap engine, the
/// shared build files) and of the mode. A saved result counts only for the same fingerprint: change one byte and the
/// kata is built and tested again.
/// </summary>
public static class Fingerprint
{
    public static string Of(WorkshopRoot root, Kata kata, string mode)
    {
        var folders = new List<string> { kata.Directory, Path.Combine(root.Path, "tools", "HeapAssert"), Path.Combine(root.Path, "tests", "Shared") };
        if (kata.TestProject is not null)
        {
            folders.Add(Path.GetDirectoryName(kata.TestProject)!);
        }

        var files = folders.Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(f => KataFiles.IsRelevant(Path.GetRelativePath(folder, f))))
            .Concat(new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json",
                "tests/Directory.Build.props", "tests/Directory.Build.targets" }.Select(f => Path.Combine(root.Path, f)).Where(File.Exists))
            .Select(f => (Path: root.Relative(f), Full: f))
            .DistinctBy(f => f.Path)
            .OrderBy(f => f.Path, StringComparer.Ordinal);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"mode={mode}\n"));
        foreach (var (path, full) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{path}\n"));
            try
            {
                hash.AppendData(File.ReadAllBytes(full));
            }
            catch (IOException)
            {
                hash.AppendData("(unreadable)"u8); // being saved right now: the next check sees the final bytes
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>Which files of a kata count as the learner's code: not build output, not editor scratch files, not prose.</summary>
public static class KataFiles
{
    public static bool IsRelevant(string relativePath)
    {
        var parts = relativePath.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[..^1].Any(p => p is "bin" or "obj" || p.StartsWith('.')))
        {
            return false;
        }

        var name = parts[^1];
        return !(name is "bin" or "obj" || name.StartsWith('.') || name.StartsWith('#') || name.EndsWith('~')
            || name == "4913" // vim's probe that it may write in a folder
            || name.EndsWith(".swp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".swx", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".md", StringComparison.OrdinalIgnoreCase));
    }
}
