using System.Globalization;
using System.Text;

namespace DisposalInLoops.Tests;

/// <summary>
/// A folder of real meter-reading files in the temp directory, and the totals an importer must find in it.
/// Dispose deletes the folder, also when the test failed.
/// </summary>
internal sealed class MeterBatch : IDisposable
{
    private readonly DirectoryInfo _folder;

    private MeterBatch(DirectoryInfo folder, IReadOnlyList<string> paths, BatchSummary expected)
    {
        _folder = folder;
        Paths = paths;
        Expected = expected;
    }

    public IReadOnlyList<string> Paths { get; }

    public BatchSummary Expected { get; }

    /// <param name="files">How many files to write.</param>
    /// <param name="malformedFile">The index of one file whose last line cannot be parsed, or -1.</param>
    public static MeterBatch Create(int files, int malformedFile = -1)
    {
        var folder = Directory.CreateTempSubdirectory("meter-readings-");
        try
        {
            var paths = new List<string>(files);
            long readings = 0;
            long wattHours = 0;
            for (var i = 0; i < files; i++)
            {
                var text = new StringBuilder();
                var lines = 3 + (i % 5);
                for (var line = 0; line < lines; line++)
                {
                    var value = (i * 37L + line * 11L) % 5_000;
                    text.Append(CultureInfo.InvariantCulture, $"M-{i:D6};{value}\n");
                    readings++;
                    wattHours += value;
                }

                if (i == malformedFile)
                {
                    text.Append(CultureInfo.InvariantCulture, $"M-{i:D6};n/a\n");
                }

                var path = Path.Combine(folder.FullName, $"meter-{i:D6}.txt");
                File.WriteAllText(path, text.ToString());
                paths.Add(path);
            }

            return new MeterBatch(folder, paths, new BatchSummary(files, readings, wattHours));
        }
        catch
        {
            folder.Delete(recursive: true);
            throw;
        }
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
