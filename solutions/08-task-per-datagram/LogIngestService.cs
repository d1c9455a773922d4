using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace TaskPerDatagram;

/// <summary>
/// The log-ingest service: services all over the fleet send it their log lines over UDP, one line per datagram, and it
/// parses each line and appends it to the log store. One instance listens for the life of the process.
/// </summary>
public sealed class LogIngestService : IAsyncDisposable
{
    /// <summary>How many datagrams are parsed and stored at once.</summary>
    public const int Workers = 4;

    /// <summary>How many received datagrams may wait for a worker. When the queue is full, the receive loop waits.</summary>
    public const int QueueCapacity = 32;

    private readonly ILogStore _store;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<PacketBuffer> _queue = Channel.CreateBounded<PacketBuffer>(
        new BoundedChannelOptions(QueueCapacity) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly ConcurrentQueue<PacketBuffer> _freeBuffers = new();
    private readonly Task[] _workers;
    private readonly Task _receiving;
    private long _received;
    private long _stored;
    private long _rejected;

    private LogIngestService(ILogStore store, Socket socket)
    {
        _store = store;
        _socket = socket;
        _workers = [.. Enumerable.Range(0, Workers).Select(_ => WorkAsync(_stopping.Token))];
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
            var packet = RentBuffer();
            packet.CopyFrom(datagram.AsSpan(0, length));

            // FIXED: a fixed number of workers take datagrams from a bounded queue. When the queue is full, this loop waits
            // before it reads the socket again: a burst waits in the socket's receive buffer, and what does not fit there is
            // dropped by the operating system (Linux counts it in /proc/net/snmp, Udp RcvbufErrors), not piled up on the heap.
            try
            {
                await _queue.Writer.WriteAsync(packet, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WorkAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var packet in _queue.Reader.ReadAllAsync(stopping))
            {
                try
                {
                    await IngestAsync(packet, stopping);
                }
                finally
                {
                    _freeBuffers.Enqueue(packet);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The service is stopping.
        }
    }

    private async Task IngestAsync(PacketBuffer packet, CancellationToken stopping)
    {
        if (!LogLineParser.TryParse(packet.Span, out var record))
        {
            Interlocked.Increment(ref _rejected);
            return;
        }

        await _store.AppendAsync(record, stopping);
        Interlocked.Increment(ref _stored);
    }

    // At most QueueCapacity + Workers + 1 buffers are ever in use (queued, being worked on, being filled), so the pool
    // never grows beyond that.
    private PacketBuffer RentBuffer() => _freeBuffers.TryDequeue(out var packet) ? packet : new PacketBuffer();

    /// <summary>Stops listening, and stops the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _receiving;
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers);
        _socket.Dispose();
        _stopping.Dispose();
    }
}
