using System.Globalization;

namespace DisposalInLoops;

/// <summary>What one nightly batch imported.</summary>
public sealed record BatchSummary(int Files, long Readings, long TotalWattHours);

/// <summary>
/// Imports the meter readings that field devices drop as small text files, one file per device and night.
/// Every line reads <c>meterId;wattHours</c>, for example <c>M-000042;1375</c>.
/// </summary>
public sealed class MeterReadingImporter
{
    private readonly Func<string, Stream> _open;

    /// <param name="open">Opens one file for reading; <see cref="File.OpenRead"/> unless a test swaps it.</param>
    public MeterReadingImporter(Func<string, Stream>? open = null) => _open = open ?? File.OpenRead;

    public BatchSummary ImportBatch(IReadOnlyList<string> paths)
    {
        long readings = 0;
        long wattHours = 0;

        // Ported from the Go importer, which closed every file with `defer f.Close()`:
        // whatever the batch opens is registered here and disposed when the batch ends, even on error.
        var cleanup = new List<IDisposable>();
        try
        {
            foreach (var path in paths)
            {
                // KATA: by the time this loop reaches the 1,000th path, how many files are still open?
                var reader = new StreamReader(_open(path));
                cleanup.Add(reader);

                var file = ReadFile(reader, path);
                readings += file.Readings;
                wattHours += file.WattHours;
            }
        }
        finally
        {
            foreach (var resource in cleanup)
            {
                resource.Dispose();
            }
        }

        return new BatchSummary(paths.Count, readings, wattHours);
    }

    private static (long Readings, long WattHours) ReadFile(StreamReader reader, string path)
    {
        long readings = 0;
        long wattHours = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var separator = line.IndexOf(';');
            if (separator < 0 || !long.TryParse(line.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw new InvalidDataException($"{Path.GetFileName(path)}: cannot read the line \"{line}\".");
            }

            readings++;
            wattHours += value;
        }

        return (readings, wattHours);
    }
}
