using System.Globalization;
using System.Text;

namespace Workshop.Benchmarks.Workloads;

/// <summary>A temp folder of small meter-reading files (kata 01's input). Dispose deletes it.</summary>
public sealed class MeterFiles : IDisposable
{
    private readonly DirectoryInfo _folder;

    public MeterFiles(int count)
    {
        _folder = Directory.CreateTempSubdirectory("workshop-bench-meters-");
        var paths = new string[count];
        for (var i = 0; i < count; i++)
        {
            var text = new StringBuilder();
            for (var line = 0; line < 3 + (i % 5); line++)
            {
                text.Append(CultureInfo.InvariantCulture, $"M-{i:D6};{(i * 37L + line * 11L) % 5_000}\n");
            }

            paths[i] = Path.Combine(_folder.FullName, $"meter-{i:D6}.txt");
            File.WriteAllText(paths[i], text.ToString());
        }

        Paths = paths;
    }

    public IReadOnlyList<string> Paths { get; }

    public void Dispose() => _folder.Delete(recursive: true);
}
