using NotebookKit;

namespace HeapAssert.Tests;

/// <summary>
/// The engine checked against the reference tool: SOS, through the pinned dotnet-dump (<c>dotnet tool restore</c>
/// installs it), on the same process at the same moment. A live count that differs from <c>dumpheap -live</c> is a bug
/// in the engine, whatever the katas say.
/// </summary>
public sealed class SosAgreementTests
{
    private static readonly List<SosProbeEntry> s_kept = [];

    [Fact]
    public void The_live_count_of_a_type_equals_what_SOS_dumpheap_live_counts()
    {
        s_kept.Clear();
        for (var i = 0; i < 12_345; i++)
        {
            s_kept.Add(new SosProbeEntry(i));
        }

        MakeGarbage(5_000);

        var engine = Heap.Snapshot().Objects<SosProbeEntry>().Count;
        var sos = DiagnosticTools.DumpHeap(Environment.ProcessId, typeof(SosProbeEntry).FullName!);

        sos.CountOf(typeof(SosProbeEntry).FullName!).Should().Be(12_345, $"SOS must see the kept entries; it printed:{Environment.NewLine}{sos}");
        engine.Should().Be(12_345, "HeapAssert must count what SOS counts");
        GC.KeepAlive(s_kept);
    }

    // Unreachable as soon as they are made: neither count may include them. In a method of their own, so that no
    // stack slot of the test (kept alive in a Debug build) still points at the last one.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void MakeGarbage(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _ = new SosProbeEntry(i);
        }
    }

    private sealed class SosProbeEntry(int id)
    {
        public int Id { get; } = id;

        public byte[] Payload { get; } = new byte[32];
    }
}
