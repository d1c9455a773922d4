using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using TaskPerDatagram;
using TaskPerDatagram.Tests;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// Kata 08: one operation is a burst of 1,000 datagrams (250 malformed) sent over UDP on 127.0.0.1 to one long-lived
/// service whose store keeps up, as fast as the service takes them off its socket, until every one is stored or rejected.
/// </summary>
public class TaskPerDatagramBenchmarks
{
    private const int Datagrams = 1_000;
    private TestLogStore _store = null!;
    private LogIngestService _service = null!;

    [GlobalSetup]
    public void Setup()
    {
        RetainedProbe.Measure(typeof(TaskPerDatagramBenchmarks), "08-task-per-datagram");
        _store = new TestLogStore(keep: false);
        _service = LogIngestService.Listen(_store);
    }

    [GlobalCleanup]
    public void Cleanup() => _service.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "a burst of 1,000 datagrams (250 malformed)")]
    public long Burst()
    {
        var before = _service.Counts;
        var sent = Sender.Send(_service, Datagrams, window: 64, c => c.Received - before.Received, stall: TimeSpan.FromSeconds(10));
        Sender.WaitFor(() => _service.Counts is var now && now.InFlight == 0 && now.Received - before.Received == sent, TimeSpan.FromSeconds(30));
        return _service.Counts.Stored - before.Stored;
    }
}

/// <summary>
/// Rejecting a malformed log line, three ways: the kata's <c>Parse</c>, which throws <see cref="FormatException"/> and
/// is caught by its caller (the Go service's deferred <c>recover</c>, in .NET); the same with one cached exception instance
/// thrown every time; and the solution's <c>TryParse</c>, which returns false. One operation rejects the four kinds of
/// malformed line of the tests once each. The parsers are copies of the kata's and the solution's, so that both run in one
/// process. No kata code runs here: Leaky job only.
/// </summary>
[FlavourIndependent]
public class ParseFailureBenchmarks
{
    private static readonly byte[][] Malformed = [LogTraffic.Datagram(3), LogTraffic.Datagram(7), LogTraffic.Datagram(11), LogTraffic.Datagram(15)];
    private static readonly byte[][] WellFormed = [LogTraffic.Datagram(0), LogTraffic.Datagram(1), LogTraffic.Datagram(2), LogTraffic.Datagram(4)];

    [Benchmark(Baseline = true, Description = "4 malformed lines: TryParse returns false")]
    public int ResultPath()
    {
        var rejected = 0;
        foreach (var datagram in Malformed)
        {
            if (!Parsers.TryParse(datagram, out _))
            {
                rejected++;
            }
        }

        return rejected;
    }

    [Benchmark(Description = "4 malformed lines: Parse throws, the caller catches")]
    public int ExceptionPath()
    {
        var rejected = 0;
        foreach (var datagram in Malformed)
        {
            try
            {
                Parsers.Parse(datagram, cached: false);
            }
            catch (FormatException)
            {
                rejected++;
            }
        }

        return rejected;
    }

    [Benchmark(Description = "4 malformed lines: Parse throws one cached exception, the caller catches")]
    public int CachedExceptionPath()
    {
        var rejected = 0;
        foreach (var datagram in Malformed)
        {
            try
            {
                Parsers.Parse(datagram, cached: true);
            }
            catch (FormatException)
            {
                rejected++;
            }
        }

        return rejected;
    }

    [Benchmark(Description = "4 well-formed lines: TryParse, for scale")]
    public int WellFormedLines()
    {
        var parsed = 0;
        foreach (var datagram in WellFormed)
        {
            if (Parsers.TryParse(datagram, out _))
            {
                parsed++;
            }
        }

        return parsed;
    }

    /// <summary>The kata's parser (throwing) and the solution's (returning false), side by side.</summary>
    private static class Parsers
    {
        private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        private static readonly FormatException s_malformed = new("Malformed log line.");

        public static LogRecord Parse(ReadOnlySpan<byte> datagram, bool cached)
        {
            var line = Encoding.UTF8.GetString(datagram).TrimEnd('\r', '\n');
            var fields = line.Split(' ', 4);
            if (fields.Length < 4 || fields[3].Length == 0)
            {
                throw cached ? s_malformed : new FormatException($"Expected a timestamp, a severity, a source and a message: \"{line}\".");
            }

            DateTimeOffset timestamp;
            if (cached)
            {
                if (!DateTimeOffset.TryParseExact(fields[0], TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out timestamp))
                {
                    throw s_malformed;
                }
            }
            else
            {
                timestamp = DateTimeOffset.ParseExact(fields[0], TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            }

            var severity = fields[1] switch
            {
                "DEBUG" => Severity.Debug,
                "INFO" => Severity.Info,
                "WARN" => Severity.Warn,
                "ERROR" => Severity.Error,
                _ => throw (cached ? s_malformed : new FormatException($"Unknown severity \"{fields[1]}\".")),
            };
            if (fields[2].Length == 0 || !fields[2].All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                throw cached ? s_malformed : new FormatException($"A source is a service name of letters, digits and dashes, not \"{fields[2]}\".");
            }

            return new LogRecord(timestamp, severity, fields[2], fields[3]);
        }

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
}
