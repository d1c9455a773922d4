namespace TaskPerDatagram;

/// <summary>How serious a log line says it is.</summary>
public enum Severity
{
    Debug,
    Info,
    Warn,
    Error,
}

/// <summary>
/// One log line, parsed. On the wire a datagram carries one line of four fields separated by single spaces:
/// <c>2025-10-30T15:31:11.042Z WARN checkout payment retried for order 1234</c>: a UTC timestamp with milliseconds,
/// the severity, the service that logged it, and the message (the rest of the line, never empty).
/// </summary>
public sealed record LogRecord(DateTimeOffset Timestamp, Severity Severity, string Source, string Message);

/// <summary>
/// Where parsed lines go: a Redis list per service in the incident. It takes its time, and during an incident it can
/// stall for seconds, while datagrams keep arriving.
/// </summary>
public interface ILogStore
{
    ValueTask AppendAsync(LogRecord record, CancellationToken cancellationToken);
}

/// <summary>What the service has done with the datagrams it took off its socket, at one moment.</summary>
/// <param name="Received">Datagrams read from the socket.</param>
/// <param name="Stored">Datagrams parsed and appended to the store.</param>
/// <param name="Rejected">Datagrams that did not hold a well-formed line.</param>
/// <param name="Dropped">Datagrams the service chose not to process, to protect itself. The service as shipped never drops.</param>
public readonly record struct IngestCounts(long Received, long Stored, long Rejected, long Dropped)
{
    /// <summary>Datagrams received and not yet stored, rejected or dropped.</summary>
    public long InFlight => Received - Stored - Rejected - Dropped;

    public override string ToString() =>
        $"received {Received:N0}, stored {Stored:N0}, rejected {Rejected:N0}, dropped {Dropped:N0}, in flight {InFlight:N0}";
}
