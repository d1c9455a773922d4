using System.Runtime.CompilerServices;

namespace DisposalInLoops.Tests;

public sealed class DisposalInLoopsTests
{
    private const int BatchSize = 1_000;
    private const int MaxOpenAtOnce = 4;
    private const string Hints = "hints: katas/01-disposal-in-loops/README.md, section Hints";

    [Fact]
    [Trait("Memory", "leak")]
    public void A_large_batch_keeps_only_a_few_files_open_at_any_moment()
    {
        using var batch = MeterBatch.Create(BatchSize);
        var files = new StreamTracker(bound: MaxOpenAtOnce);

        var (summary, refused) = ImportWhileCounting(batch, files);

        if (files.Peak > MaxOpenAtOnce)
        {
            Leak.Fail(
                $"{files.Peak:N0} files were open at the same time during a batch of {files.Opened:N0} (expected at most {MaxOpenAtOnce})",
                $"When file {MaxOpenAtOnce + 1} was opened, the {files.AliveAtCrossing} files opened before it had all been read to the end, "
                + $"yet none was disposed: each still held an operating-system handle and its buffers.{Environment.NewLine}"
                + $"Held by: {files.HeldBy}"
                + (refused is null ? "" : $"{Environment.NewLine}The operating system refused to open more: {refused.Message}"),
                $"each file must be disposed as soon as it has been read, not when the whole batch ends ({Hints})");
        }

        refused.Should().BeNull("the batch must import every file");
        summary.Should().Be(batch.Expected, "every reading of every file must be imported");
        files.Open.Should().Be(0, "every file must be disposed once the batch is done");
    }

    [Fact]
    public void A_small_batch_adds_up_every_reading()
    {
        using var batch = MeterBatch.Create(files: 3);
        var files = new StreamTracker(bound: int.MaxValue);
        var importer = new MeterReadingImporter(files.OpenRead);

        var summary = Bounded.Run(_ => Task.FromResult(importer.ImportBatch(batch.Paths)), TimeSpan.FromSeconds(30), "importing 3 files");

        summary.Should().Be(batch.Expected);
        files.Open.Should().Be(0, "every file must be disposed once the batch is done");
    }

    [Fact]
    public void A_malformed_file_stops_the_batch_and_every_file_is_still_disposed()
    {
        using var batch = MeterBatch.Create(files: 20, malformedFile: 12);
        var files = new StreamTracker(bound: int.MaxValue);
        var importer = new MeterReadingImporter(files.OpenRead);

        var act = () => Bounded.Run(_ => Task.FromResult(importer.ImportBatch(batch.Paths)), TimeSpan.FromSeconds(30), "importing 20 files");

        act.Should().Throw<InvalidDataException>().WithMessage("meter-000012.txt*");
        files.Opened.Should().Be(13, "the batch stops at the malformed file");
        files.Open.Should().Be(0, "the files read before the error must be disposed too");
    }

    /// <summary>Runs the import in its own frame, so nothing it created is held by the test's locals.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (BatchSummary? Summary, IOException? Refused) ImportWhileCounting(MeterBatch batch, StreamTracker files)
    {
        var importer = new MeterReadingImporter(files.OpenRead);
        try
        {
            var summary = Bounded.Run(_ => Task.FromResult(importer.ImportBatch(batch.Paths)), TimeSpan.FromSeconds(60), $"importing {batch.Paths.Count:N0} files");
            return (summary, null);
        }
        catch (IOException refused) when (files.Peak > MaxOpenAtOnce)
        {
            // With a low limit on open files (ulimit -n) the leaky batch can run out of handles before it ends.
            return (null, refused);
        }
    }
}
