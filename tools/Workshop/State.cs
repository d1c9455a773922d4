namespace Workshop;

/// <summary>Files in <c>.workshop/</c>: written whole, so a companion stopped mid-write leaves the old file, not half a file.</summary>
public static class State
{
    public static void WriteAtomically(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
