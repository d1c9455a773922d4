using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace TaskPerDatagram.Tests;

/// <summary>
/// The log lines the tests send, and the answer every one must get. Datagram <c>n</c> holds one line that ends in
/// <c>seq=n</c>; one in four (n = 3, 7, 11, …) is malformed, in four ways in turn: no message, a timestamp that is not
/// one, an unknown severity, a source that is not a service name. The benchmarks send the same lines.
/// </summary>
internal static class LogTraffic
{
    private static readonly DateTimeOffset Start = new(2025, 10, 30, 15, 31, 11, TimeSpan.Zero);
    private static readonly string[] Severities = ["DEBUG", "INFO", "WARN", "ERROR"];
    private static readonly string[] Sources = ["checkout", "payments", "search-api", "cart"];

    // Made once, so that sending a datagram allocates nothing in the process that measures the service.
    private static readonly byte[][] Made = [.. Enumerable.Range(0, 4_096).Select(Make)];

    public static bool IsMalformed(int sequence) => sequence % 4 == 3;

    /// <summary>How many of the datagrams 0 to <paramref name="count"/> - 1 are malformed.</summary>
    public static int MalformedIn(int count) => count / 4;

    /// <summary>The datagram with sequence number <paramref name="sequence"/>, as its sender's logger would write it.</summary>
    public static byte[] Datagram(int sequence) => sequence < Made.Length ? Made[sequence] : Make(sequence);

    private static byte[] Make(int sequence) => Encoding.UTF8.GetBytes(Line(sequence) + "\n");

    public static string Line(int sequence)
    {
        var time = (Start + TimeSpan.FromMilliseconds(sequence * 7L)).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var source = Sources[sequence % Sources.Length];
        if (!IsMalformed(sequence))
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{time} {Severities[sequence / 4 % Severities.Length]} {source} request {sequence * 31 % 10_000} served in {sequence % 250} ms seq={sequence}");
        }

        return (sequence / 4 % 4) switch
        {
            0 => $"{time} INFO {source}",
            1 => string.Create(CultureInfo.InvariantCulture, $"yesterday INFO {source} request served seq={sequence}"),
            2 => string.Create(CultureInfo.InvariantCulture, $"{time} LOUD {source} request served seq={sequence}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{time} INFO {source}/v2 request served seq={sequence}"),
        };
    }

    /// <summary>The record a well-formed datagram must be stored as.</summary>
    public static LogRecord Expected(int sequence)
    {
        var fields = Line(sequence).Split(' ', 4);
        return new LogRecord(
            DateTimeOffset.ParseExact(fields[0], "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            Enum.Parse<Severity>(fields[1], ignoreCase: true),
            fields[2],
            fields[3]);
    }

    /// <summary>The sequence number a stored record carries, or -1.</summary>
    public static int SequenceOf(LogRecord record)
    {
        var at = record.Message.LastIndexOf("seq=", StringComparison.Ordinal);
        return at >= 0 && int.TryParse(record.Message.AsSpan(at + 4), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
    }
}

/// <summary>
/// The log store, in memory. It can be held: then every append waits until <see cref="Release"/>, as the incident's Redis
/// did when it fell behind. It keeps what it was given, so a test can check it (or, for the benchmarks, only counts it).
/// </summary>
internal sealed class TestLogStore(bool held = false, bool keep = true) : ILogStore
{
    private readonly TaskCompletionSource _open = NewGate(held);
    private readonly ConcurrentQueue<LogRecord> _records = new();
    private long _appended;

    public IReadOnlyCollection<LogRecord> Records => _records;

    public long Appended => Interlocked.Read(ref _appended);

    public void Release() => _open.TrySetResult();

    public async ValueTask AppendAsync(LogRecord record, CancellationToken cancellationToken)
    {
        if (!_open.Task.IsCompleted)
        {
            await _open.Task.WaitAsync(cancellationToken);
        }

        Interlocked.Increment(ref _appended);
        if (keep)
        {
            _records.Enqueue(record);
        }
    }

    private static TaskCompletionSource NewGate(bool held)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!held)
        {
            gate.SetResult();
        }

        return gate;
    }
}

/// <summary>Sends the test traffic to a service over a real UDP socket on 127.0.0.1.</summary>
internal static class Sender
{
    // A burst stays at most this far ahead of what the service has taken off its socket: the socket's receive buffer
    // (about 200 KB by default on Linux) holds that many small datagrams with room to spare, so none is lost on the way.
    private const int BurstWindow = 64;

    /// <summary>
    /// Sends a burst of <paramref name="count"/> datagrams as fast as the service takes them off its socket, until all are
    /// sent or the service has taken none for a second; then waits until it has taken all it will take. Returns how many
    /// were sent and the service's counts at that moment.
    /// </summary>
    public static (int Sent, IngestCounts AtPeak) Burst(LogIngestService service, int count)
    {
        var sent = Send(service, count, BurstWindow, c => c.Received, stall: TimeSpan.FromSeconds(1));
        Settle(() => service.Counts.Received, quiet: TimeSpan.FromMilliseconds(250), limit: TimeSpan.FromSeconds(5));
        return (sent, service.Counts);
    }

    /// <summary>
    /// Waits until every datagram the service received is stored, rejected or dropped, and it has taken nothing more off
    /// its socket for a moment (at most 20 s: a service that loses datagrams never gets there); returns its counts.
    /// </summary>
    public static IngestCounts Drain(LogIngestService service)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            WaitFor(() => service.Counts.InFlight == 0, deadline - DateTime.UtcNow);
            var before = service.Counts;
            Thread.Sleep(300);
            var now = service.Counts;
            if ((now == before && now.InFlight == 0) || DateTime.UtcNow > deadline)
            {
                return now;
            }
        }
    }

    /// <summary>
    /// Sends datagrams 0, 1, 2 … up to <paramref name="count"/>, as fast as the service goes, but never more than
    /// <paramref name="window"/> ahead of what <paramref name="taken"/> says the service has taken: the socket's receive
    /// buffer never overflows, so no datagram is lost on the way. Stops early when that has not moved for
    /// <paramref name="stall"/>: the service has stopped taking datagrams. Returns how many were sent.
    /// </summary>
    public static int Send(LogIngestService service, int count, int window, Func<IngestCounts, long> taken, TimeSpan stall)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(service.Endpoint);
        var sent = 0;
        while (sent < count)
        {
            if (sent - taken(service.Counts) >= window && !WaitFor(() => sent - taken(service.Counts) < window, stall))
            {
                break;
            }

            socket.Send(LogTraffic.Datagram(sent));
            sent++;
        }

        return sent;
    }

    /// <summary>Waits until <paramref name="value"/> has not changed for <paramref name="quiet"/>, at most <paramref name="limit"/>.</summary>
    public static void Settle(Func<long> value, TimeSpan quiet, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var last = value();
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow - since < quiet)
        {
            Thread.Sleep(5);
            var now = value();
            if (now != last)
            {
                last = now;
                since = DateTime.UtcNow;
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, at most <paramref name="limit"/>; says whether it held.</summary>
    public static bool WaitFor(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var spinner = new SpinWait();
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            if (spinner.NextSpinWillYield)
            {
                Thread.Sleep(1);
            }
            else
            {
                spinner.SpinOnce();
            }
        }

        return true;
    }
}
