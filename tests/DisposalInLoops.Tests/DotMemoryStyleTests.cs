using HeapAssert.DotMemoryStyle;

namespace DisposalInLoops.Tests;

/// <summary>
/// The kata's memory check as a dotMemory Unit test, ported by one <c>using</c>: it runs under a plain <c>dotnet test</c>.
/// </summary>
public sealed class DotMemoryStyleTests
{
    private const int MaxOpenAtOnce = 4;

    [Fact]
    [Trait("Memory", "leak")]
    [DotMemoryUnit(FailIfRunWithoutSupport = true)]
    public void A_large_batch_keeps_only_a_few_files_open_at_any_moment()
    {
        using var batch = MeterBatch.Create(1_000);
        var opened = 0;
        var importer = new MeterReadingImporter(path =>
        {
            if (Interlocked.Increment(ref opened) == 501)
            {
                // 500 files have been read to the end: at most a handful may still be open.
                dotMemory.Check(memory =>
                    Assert.True(memory.GetObjects(where => where.Type.Is<FileStream>()).ObjectsCount <= MaxOpenAtOnce,
                        $"at most {MaxOpenAtOnce} FileStream may be alive when the 501st file of a batch of 1,000 is opened, "
                        + "the 500 before it having been read to the end"));
            }

            return File.OpenRead(path);
        });

        var summary = Bounded.Run(_ => Task.FromResult(importer.ImportBatch(batch.Paths)), TimeSpan.FromSeconds(60), "importing 1,000 files");

        summary.Should().Be(batch.Expected, "the batch's totals must add up every reading of its 1,000 files");
    }
}
