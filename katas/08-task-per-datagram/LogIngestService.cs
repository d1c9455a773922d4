using System.Net;
using System.Net.Sockets;

namespace TaskPerDatagram;

/// <summary>
/// The log-ingest service: services all over the fleet send it their log lines over UDP, one line per datagram, and it
/// parses each line and appends it to the log store. One instance listens for the life of the process.
/// </summary>
public sealed class LogIngestService : IAsyncDisposable
{
    private readonly ILogStore _store;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _receiving;
    private long _received;
    private long _stored;
    private long _rejected;

    private LogIngestService(ILogStore store, Socket socket)
    {
        _store = store;
        _socket = socket;
        _receiving = ReceiveLoopAsync(_stopping.Token);
    }

    /// <summary>Starts a service listening on 127.0.0.1, on <paramref name="port"/> (0: a free port, see <see cref="Endpoint"/>).</summary>
    public static LogIngestService Listen(ILogStore store, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(store);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        return new LogIngestService(store, socket);
    }

    /// <summary>Where to send log lines.</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>What the service has done with the datagrams it received so far. It never drops one.</summary>
    public IngestCounts Counts => new(Interlocked.Read(ref _received), Interlocked.Read(ref _stored), Interlocked.Read(ref _rejected), Dropped: 0);

    private async Task ReceiveLoopAsync(CancellationToken stopping)
    {
        var datagram = new byte[PacketBuffer.Capacity];
        while (true)
        {
            int length;
            try
            {
                length = await _socket.ReceiveAsync(datagram, SocketFlags.None, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Interlocked.Increment(ref _received);

            // The next receive overwrites `datagram`, so the packet gets a buffer of its own.
            var packet = new PacketBuffer();
            packet.CopyFrom(datagram.AsSpan(0, length));

            // KATA: a task of its own for every datagram, and the loop goes straight back to the socket.
            _ = Task.Run(() => IngestAsync(packet, stopping), CancellationToken.None);
        }
    }

    private async Task IngestAsync(PacketBuffer packet, CancellationToken stopping)
    {
        LogRecord record;
        try
        {
            record = LogLineParser.Parse(packet.Span);
        }
        catch (Exception)
        {
            // A malformed line must never take the service down: count it and move on.
            Interlocked.Increment(ref _rejected);
            return;
        }

        await _store.AppendAsync(record, stopping);
        Interlocked.Increment(ref _stored);
    }

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _receiving;
        _socket.Dispose();
        _stopping.Dispose();
    }
}
