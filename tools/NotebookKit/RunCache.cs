using System.Text.Json;

namespace NotebookKit;

/// <summary>
/// Lets two notebook clients that run the same notebook at the same time (the workshop's verification runs each
/// notebook in its runner and in <c>dotnet repl</c> side by side) share the results of the slow child processes:
/// a growth run or a test run of the same build gives the same answer twice, so the second client waits for the
/// first one's and reads it. Only when the environment variable <c>NOTEBOOKKIT_RUN_CACHE</c> names a folder; a
/// learner's notebook never reads a cache. The key holds the build's time stamp, so a rebuilt kata runs again.
/// The verification also stores here the results of the katas' test runs it has just made with the same build and the
/// same command as <see cref="Shell.RunTests"/> ("test-&lt;kata&gt;-&lt;katas|solutions&gt;-&lt;ticks&gt;.json").
/// </summary>
internal static class RunCache
{
    private const string Variable = "NOTEBOOKKIT_RUN_CACHE";
    private static readonly TimeSpan s_wait = TimeSpan.FromMinutes(10);

    public static T GetOrRun<T>(string key, string buildOutput, Func<T> run)
    {
        var folder = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(folder))
        {
            return run();
        }

        Directory.CreateDirectory(folder);
        var stamp = File.Exists(Workshop.PathOf(buildOutput)) ? File.GetLastWriteTimeUtc(Workshop.PathOf(buildOutput)).Ticks : 0;
        var name = string.Concat($"{key}-{stamp}".Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
        var result = Path.Combine(folder, name + ".json");
        using var gate = Acquire(Path.Combine(folder, name + ".lock"));
        if (File.Exists(result))
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(result))!;
        }

        var value = run();
        File.WriteAllText(result, JsonSerializer.Serialize(value));
        return value;
    }

    // One client at a time per key: the other waits for the first one's result instead of starting the same run.
    private static FileStream Acquire(string path)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
