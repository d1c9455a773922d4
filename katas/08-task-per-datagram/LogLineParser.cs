using System.Globalization;
using System.Text;

namespace TaskPerDatagram;

/// <summary>Reads one log line from a datagram (the format is described on <see cref="LogRecord"/>).</summary>
internal static class LogLineParser
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Parses the line a datagram holds.</summary>
    /// <exception cref="FormatException">The datagram does not hold a well-formed line.</exception>
    public static LogRecord Parse(ReadOnlySpan<byte> datagram)
    {
        var line = Encoding.UTF8.GetString(datagram).TrimEnd('\r', '\n');
        var fields = line.Split(' ', 4);
        if (fields.Length < 4 || fields[3].Length == 0)
        {
            throw new FormatException($"Expected a timestamp, a severity, a source and a message: \"{line}\".");
        }

        var timestamp = DateTimeOffset.ParseExact(fields[0], TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var severity = fields[1] switch
        {
            "DEBUG" => Severity.Debug,
            "INFO" => Severity.Info,
            "WARN" => Severity.Warn,
            "ERROR" => Severity.Error,
            _ => throw new FormatException($"Unknown severity \"{fields[1]}\"."),
        };
        if (fields[2].Length == 0 || !fields[2].All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new FormatException($"A source is a service name of letters, digits and dashes, not \"{fields[2]}\".");
        }

        return new LogRecord(timestamp, severity, fields[2], fields[3]);
    }
}
