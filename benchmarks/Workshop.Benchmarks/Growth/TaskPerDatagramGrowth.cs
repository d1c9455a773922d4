using System.Net.Sockets;
using HeapAssert;
using TaskPerDatagram;
using TaskPerDatagram.Tests;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// Kata 08: the log store stalls for the whole run, and every step is 250 more datagrams (one in four malformed) sent to
/// one service over UDP, as fast as it takes them off its socket; once it stops taking them, the rest of the step is sent
/// anyway, as a real burst would be. Counts the packet buffers alive while the store is still stalled.
/// </summary>
public sealed class TaskPerDatagramGrowth : GrowthWorkload
{
    private const int DatagramsPerStep = 250;
    private const int Window = 64;

    // A PacketBuffer is a small object that holds its own array of PacketBuffer.Capacity bytes (plus the array's header).
    private const long BufferBytes = PacketBuffer.Capacity + 24;

    private readonly TestLogStore _store = new(held: true, keep: false);
    private LogIngestService? _service;

    // The sender's datagrams are made once, on first use: make them now, before a probe's first snapshot, so that they
    // do not count as heap growth.
    public TaskPerDatagramGrowth() => _ = LogTraffic.Datagram(0);

    public override string Kata => "08-task-per-datagram";

    public override string Measure => "live PacketBuffer";

    public override string Unit => "datagrams sent";

    public override async Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken)
    {
        _service = LogIngestService.Listen(_store);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(_service.Endpoint);
        var sent = 0;
        for (var step = 1; step <= steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Run(() =>
            {
                // Keep at most Window datagrams waiting in the socket while the service reads; once it has stopped reading,
                // the rest of the step goes out anyway, and the operating system drops what the socket has no room for.
                var reading = true;
                for (var i = 0; i < DatagramsPerStep; i++, sent++)
                {
                    reading = reading && Sender.WaitFor(() => sent - _service.Counts.Received < Window, TimeSpan.FromMilliseconds(200));
                    socket.Send(LogTraffic.Datagram(sent));
                }
            }, cancellationToken);
            Sender.Settle(() => _service.Counts.Received, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
            measured(sent);
        }
    }

    public override Indicator Count(HeapSnapshot heap)
    {
        var buffers = heap.Objects<PacketBuffer>();
        return new Indicator(buffers.Count, buffers.Bytes + (buffers.Count * BufferBytes));
    }

    public override async ValueTask DisposeAsync()
    {
        _store.Release();
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
