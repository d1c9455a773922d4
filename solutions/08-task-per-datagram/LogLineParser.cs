using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace TaskPerDatagram;

/// <summary>Reads one log line from a datagram (the format is described on <see cref="LogRecord"/>).</summary>
internal static class LogLineParser
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>
    /// Parses the line a datagram holds. FIXED: a malformed line is part of the traffic, not an exceptional event: it is
    /// an answer (false, no record), and nothing is thrown on the way to it.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, [NotNullWhen(true)] out LogRecord? record)
    {
        record = null;
        var line = Encoding.UTF8.GetString(datagram).TrimEnd('\r', '\n');
        var fields = line.Split(' ', 4);
        if (fields.Length < 4 || fields[3].Length == 0)
        {
            return false;
        }

        if (!DateTimeOffset.TryParseExact(fields[0], TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp))
        {
            return false;
        }

        Severity? severity = fields[1] switch
        {
            "DEBUG" => Severity.Debug,
            "INFO" => Severity.Info,
            "WARN" => Severity.Warn,
            "ERROR" => Severity.Error,
            _ => null,
        };
        if (severity is null || fields[2].Length == 0 || !fields[2].All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            return false;
        }

        record = new LogRecord(timestamp, severity.Value, fields[2], fields[3]);
        return true;
    }
}
