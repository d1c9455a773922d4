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

        foreach (var path in paths)
        {
            // FIXED: `using` disposes each file as soon as its own iteration ends (also on error): one file is open at a time.
            using var reader = new StreamReader(_open(path));

            var file = ReadFile(reader, path);
            readings += file.Readings;
            wattHours += file.WattHours;
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
