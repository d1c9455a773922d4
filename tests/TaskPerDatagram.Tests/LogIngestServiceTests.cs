using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text;
using FluentAssertions.Execution;

namespace TaskPerDatagram.Tests;

public sealed class LogIngestServiceTests
{
    // The numbers stated in katas/08-task-per-datagram/README.md, section "Your task".
    private const int MaxInFlight = 64;
    private const int BurstSize = 2_000;

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static readonly Assembly Service = typeof(LogIngestService).Assembly;

    [Fact]
    public void A_well_formed_line_is_stored_with_its_fields()
    {
        var store = new TestLogStore();
        var counts = Run(store, service =>
        {
            Sender.Send(service, count: 1, window: 1, c => c.Stored + c.Rejected + c.Dropped, stall: Limit);
            Sender.WaitFor(() => service.Counts.Stored == 1, Limit);
        });

        using (new AssertionScope("what the service did with one datagram holding a well-formed line"))
        {
            counts.Should().Be(new IngestCounts(1, 1, 0, 0), "the line must be received and stored, and nothing else");
        }

        using (new AssertionScope("the log store's records"))
        {
            store.Records.Should().ContainSingle("one line was stored").Which.Should().Be(LogTraffic.Expected(0),
                "the record must carry the line's timestamp, severity, source and message");
        }
    }

    [Fact]
    public void Every_kind_of_malformed_line_is_rejected_and_counted()
    {
        // Datagrams 0 to 15: 12 well-formed lines and one of each of the four kinds of malformed line (3, 7, 11, 15).
        var store = new TestLogStore();
        var counts = Run(store, service =>
        {
            Sender.Send(service, count: 16, window: 1, c => c.Stored + c.Rejected + c.Dropped, stall: Limit);
            Sender.WaitFor(() => service.Counts.InFlight == 0 && service.Counts.Received == 16, Limit);
        });

        using (new AssertionScope("what the service did with 16 datagrams, four of them malformed"))
        {
            counts.Should().Be(new IngestCounts(16, 12, 4, 0),
                "lines 3, 7, 11 and 15 (no message, a timestamp that is not one, an unknown severity, a source that is not a service name) " +
                "must be rejected and every other line stored");
        }

        using (new AssertionScope("the lines in the log store, by sequence number"))
        {
            store.Records.Select(LogTraffic.SequenceOf).Should().BeEquivalentTo(Enumerable.Range(0, 16).Where(n => !LogTraffic.IsMalformed(n)),
                "the store must hold every well-formed line and no malformed one");
        }
    }

    [Fact]
    public void A_steady_stream_is_stored_in_full_when_the_store_keeps_up()
    {
        const int count = 1_000;
        var store = new TestLogStore();
        var sent = 0;
        var counts = Run(store, service =>
        {
            // Never more than 16 datagrams waiting in the service: it is never pressed, so it has no reason to drop any.
            sent = Sender.Send(service, count, window: 16, c => c.Stored + c.Rejected + c.Dropped, stall: Limit);
            Sender.WaitFor(() => service.Counts.InFlight == 0 && service.Counts.Received == sent, Limit);
        });

        using (new AssertionScope("the datagrams sent before the service stopped taking them"))
        {
            sent.Should().Be(count, "the service must keep taking datagrams off its socket while its store keeps up");
        }

        using (new AssertionScope($"what the service did with a steady stream of {count:N0} datagrams"))
        {
            counts.Should().Be(new IngestCounts(count, count - LogTraffic.MalformedIn(count), LogTraffic.MalformedIn(count), 0),
                "every datagram arrived and the store kept up, so every well-formed line must be stored, every malformed one " +
                "rejected, and none dropped");
        }

        var bySequence = store.Records.ToLookup(LogTraffic.SequenceOf);
        using (new AssertionScope("the well-formed lines not stored exactly once with their own fields"))
        {
            Enumerable.Range(0, count).Where(n => !LogTraffic.IsMalformed(n))
                .Where(n => bySequence[n].Count() != 1 || bySequence[n].Single() != LogTraffic.Expected(n))
                .Should().BeEmpty("each well-formed line must be stored once, with its own fields");
        }
    }

    [Fact]
    [Trait("Memory", "leak")]
    public void A_burst_while_the_store_stalls_keeps_the_service_bounded_and_every_datagram_counted()
    {
        var store = new TestLogStore(held: true);
        var service = LogIngestService.Listen(store);
        using var thrown = new ExceptionsThrownIn(Service);
        try
        {
            var baseline = Heap.Snapshot();
            var (sent, atPeak) = Sender.Burst(service, BurstSize);

            // 1. During the burst: the store has stalled, datagrams keep coming. What does the service hold?
            var during = Heap.Snapshot();
            var pending = during.PendingAsyncMethods(Service);
            var pendingCount = pending.Sum(p => p.Count);
            var burst = $"{atPeak.Received:N0} datagrams taken off the socket while the log store stalled ({sent:N0} sent, one in four malformed)";
            var buffers = during.Objects<PacketBuffer>().Count;
            during.Should().After(burst).HaveAtMost(MaxInFlight).LiveInstancesOf<PacketBuffer>(
                because: $"the service may hold at most {MaxInFlight} datagrams at a time, however fast they arrive and however " +
                         $"long the store stalls; {atPeak.InFlight:N0} datagrams were in flight (received, and not yet stored, " +
                         $"rejected or dropped), each in a buffer of {PacketBuffer.Capacity / 1024} KB " +
                         $"({ByteSize(buffers * (long)PacketBuffer.Capacity)} of buffers), with {Describe(pending)}");
            if (pendingCount > MaxInFlight)
            {
                Leak.Fail($"{pendingCount:N0} async methods from {Service.GetName().Name} pending after {burst}, expected at most {MaxInFlight}",
                    details: string.Join(Environment.NewLine, pending.Take(5).Select(p => $"  {p}{Environment.NewLine}      held by: {p.HeldBy}")),
                    because: $"the service may have at most {MaxInFlight} datagrams in flight however long the store stalls, and " +
                             "each piece of work waiting for the store keeps its datagram alive");
            }

            // 2. The store comes back: everything received must end up stored, rejected or counted as dropped.
            store.Release();
            var after = Sender.Drain(service);
            var lost = after.InFlight;
            if (lost != 0)
            {
                Assert.Fail($"{lost:N0} of the {after.Received:N0} datagrams the service received were never accounted for ({after}), " +
                            "20 seconds after the store came back. Every datagram taken off the socket must end stored, rejected " +
                            "as malformed, or counted as dropped: a datagram lost without a trace is a log line nobody will ever look for.");
            }

            CheckStored(store, after, sent);

            // 3. Malformed lines are part of normal traffic: rejecting one must not cost an exception.
            if (thrown.Count > 0)
            {
                Leak.Fail($"{thrown.Count:N0} exceptions thrown in {Service.GetName().Name} to reject {after.Rejected:N0} malformed lines " +
                          $"of a burst of {after.Received:N0} datagrams, expected none",
                    details: $"First one: {thrown.First}",
                    because: "a malformed line is expected traffic, not an exceptional event: every throw allocates the exception and " +
                             "captures its stack trace, so a burst of bad lines becomes a burst of garbage on top of the work itself");
            }

            // 4. After the burst: nothing left behind.
            var dealtWith = $"a burst of {after.Received:N0} datagrams, all of them dealt with once the store came back ({after})";
            Heap.Check(heap =>
            {
                heap.Should().After(dealtWith).HaveAtMost(MaxInFlight).LiveInstancesOf<PacketBuffer>(
                    because: "a datagram's buffer must be let go, or given back for reuse, once its line is stored or rejected");
                heap.Should().After(dealtWith).HaveNoLingeringWorkFrom(Service, baseline,
                    because: "no work started for a datagram may still be pending once every datagram has been dealt with");
            });
        }
        finally
        {
            store.Release();
            Bounded.Run(async _ => await service.DisposeAsync(), Limit, "stopping the log-ingest service");
        }
    }

    /// <summary>Every record stored is one of the well-formed lines sent, stored once and with its own fields.</summary>
    private static void CheckStored(TestLogStore store, IngestCounts counts, int sent)
    {
        using (new AssertionScope($"the records in the log store after the burst ({counts})"))
        {
            store.Records.Should().HaveCount((int)counts.Stored, "the service must count as stored exactly what it appended to the store");
            store.Records.Select(LogTraffic.SequenceOf).Should().OnlyHaveUniqueItems("a datagram is stored once")
                .And.OnlyContain(n => n >= 0 && n < sent && !LogTraffic.IsMalformed(n), "only well-formed lines that were sent can be stored");
            store.Records.Where(r => r != LogTraffic.Expected(LogTraffic.SequenceOf(r)))
                .Should().BeEmpty("each line must be stored with its own fields");
        }

        if (counts.Received == sent && counts.Dropped == 0)
        {
            using (new AssertionScope("the malformed lines the service rejected"))
            {
                counts.Rejected.Should().Be(LogTraffic.MalformedIn(sent),
                    "every datagram sent was received and none was dropped, so every malformed one must be rejected");
            }
        }
    }

    private static string Describe(IReadOnlyList<PendingAsyncMethod> pending) =>
        pending.Count == 0
            ? "no async method of the service pending"
            : $"{pending[0].Count:N0} × {pending[0].Method} pending, awaiting {pending[0].Awaiting}";

    private static string ByteSize(long bytes) =>
        bytes < 1024 * 1024 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes / 1024.0 / 1024.0:0.#} MB";

    /// <summary>Starts a service on <paramref name="store"/>, runs <paramref name="traffic"/> against it, stops it, and returns its final counts.</summary>
    private static IngestCounts Run(TestLogStore store, Action<LogIngestService> traffic) =>
        Bounded.Run(async _ =>
        {
            var service = LogIngestService.Listen(store);
            try
            {
                await Task.Run(() => traffic(service));
                return service.Counts;
            }
            finally
            {
                store.Release();
                await service.DisposeAsync();
            }
        }, Limit, "sending log lines to the service");
}

/// <summary>Counts the exceptions thrown while code of an assembly is on the stack, from now until disposed.</summary>
internal sealed class ExceptionsThrownIn : IDisposable
{
    private readonly Assembly _assembly;
    private int _count;
    private string? _first;

    public ExceptionsThrownIn(Assembly assembly)
    {
        _assembly = assembly;
        AppDomain.CurrentDomain.FirstChanceException += OnThrown;
    }

    public int Count => Volatile.Read(ref _count);

    public string First => Volatile.Read(ref _first) ?? "";

    public void Dispose() => AppDomain.CurrentDomain.FirstChanceException -= OnThrown;

    private void OnThrown(object? sender, FirstChanceExceptionEventArgs e)
    {
        var frames = new StackTrace(1, fNeedFileInfo: false).GetFrames();
        var inService = frames.FirstOrDefault(f => f.GetMethod()?.DeclaringType?.Assembly == _assembly);
        if (inService is null)
        {
            return;
        }

        Interlocked.Increment(ref _count);
        if (Volatile.Read(ref _first) is null)
        {
            var method = inService.GetMethod()!;
            var text = new StringBuilder().Append(e.Exception.GetType().Name).Append(": ").Append(e.Exception.Message)
                .Append(" (thrown in ").Append(method.DeclaringType!.Name).Append('.').Append(method.Name).Append(')');
            Interlocked.CompareExchange(ref _first, text.ToString(), null);
        }
    }
}
