using HeapAssert.DotMemoryStyle;

namespace TaskPerDatagram.Tests;

/// <summary>
/// The kata's memory check as a dotMemory Unit test, ported by one <c>using</c>: it runs under a plain <c>dotnet test</c>.
/// dotMemory Unit has no notion of a pending async method, so the work in flight is counted by its compiler-generated state
/// machines (classes in the Debug builds the workshop runs; a Release build keeps them inside their boxes).
/// </summary>
public sealed class DotMemoryStyleTests
{
    private const int MaxInFlight = 64;
    private const int BurstSize = 2_000;

    [Fact]
    [Trait("Memory", "leak")]
    [DotMemoryUnit(FailIfRunWithoutSupport = true)]
    public void A_burst_while_the_store_stalls_keeps_the_service_bounded()
    {
        var store = new TestLogStore(held: true);
        var service = LogIngestService.Listen(store);
        try
        {
            var (_, atPeak) = Sender.Burst(service, BurstSize);

            dotMemory.Check(memory =>
            {
                Assert.True(memory.GetObjects(where => where.Type.Is<PacketBuffer>()).ObjectsCount <= MaxInFlight,
                    $"at most {MaxInFlight} PacketBuffer may be alive while the log store stalls, however fast datagrams arrive, " +
                    $"and the service had taken {atPeak.Received:N0} off its socket");
                Assert.True(memory.GetObjects(where => where.Assembly.Is(typeof(LogIngestService).Assembly) & where.Type.Like("*>d__*")).ObjectsCount <= MaxInFlight,
                    $"at most {MaxInFlight} async methods of the service may be waiting while the log store stalls, and each one keeps its " +
                    $"datagram alive; the service had taken {atPeak.Received:N0} datagrams off its socket");
            });

            store.Release();
            var after = Sender.Drain(service);
            Assert.True(after.InFlight == 0,
                $"every datagram the service received must end stored, rejected or counted as dropped once the store answers ({after})");
        }
        finally
        {
            store.Release();
            Bounded.Run(async _ => await service.DisposeAsync(), TimeSpan.FromSeconds(30), "stopping the log-ingest service");
        }
    }
}
