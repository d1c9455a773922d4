using System.Diagnostics.Metrics;

namespace ConnectionPoolRunDry.Tests;

/// <summary>
/// The client's own view of its connection pool, from the runtime's <c>System.Net.Http</c> meter (what
/// <c>dotnet-counters monitor --counters System.Net.Http</c> shows): <c>http.client.open_connections</c>, split into
/// <c>active</c> connections (checked out by a request) and <c>idle</c> ones (back in the pool), for one server port.
/// </summary>
public sealed class PoolMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly int _port;
    private long _active;
    private long _idle;

    public PoolMeter(int port)
    {
        _port = port;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == "http.client.open_connections")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnChange);
        _listener.Start();
    }

    /// <summary>Connections checked out by a request right now.</summary>
    public long Active => Interlocked.Read(ref _active);

    /// <summary>Connections back in the pool, ready for the next request.</summary>
    public long Idle => Interlocked.Read(ref _idle);

    public void Dispose() => _listener.Dispose();

    private void OnChange(Instrument instrument, long change, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? connectionState = null;
        var port = -1;
        foreach (var tag in tags)
        {
            switch (tag.Key)
            {
                case "http.connection.state":
                    connectionState = tag.Value as string;
                    break;
                case "server.port":
                    port = tag.Value is int value ? value : -1;
                    break;
            }
        }

        if (port != _port)
        {
            return;
        }

        if (connectionState == "active")
        {
            Interlocked.Add(ref _active, change);
        }
        else if (connectionState == "idle")
        {
            Interlocked.Add(ref _idle, change);
        }
    }
}
