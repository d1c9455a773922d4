using System.Runtime.CompilerServices;

namespace DisposalInLoops.Tests;

public sealed class DisposalInLoopsTests
{
    private const int BatchSize = 1_000;
    private const int MaxOpenAtOnce = 4;

    [Fact]
    [Trait("Memory", "leak")]
    public void A_large_batch_keeps_only_a_few_files_open_at_any_moment()
    {
        using var batch = MeterBatch.Create(BatchSize);
        var files = new StreamTracker(bound: MaxOpenAtOnce, batchSize: BatchSize);

        var (summary, refused) = ImportWhileCounting(batch, files);

        if (files.Peak > MaxOpenAtOnce)
        {
            var atLastFile = files.AtLastFile is var (streams, growth)
                ? $"; when the last file was opened, the heap held {streams} and was "
                  + $"{growth / 1024.0 / 1024.0:0.0} MB larger than when file {MaxOpenAtOnce + 1} was opened"
                : "";
            Leak.Fail(
                $"{files.Peak:N0} files were open at the same time during a batch of {files.Opened:N0} files, expected at most {MaxOpenAtOnce}{atLastFile}",
                $"When file {MaxOpenAtOnce + 1} was opened, the {files.AliveAtCrossing} files opened before it had all been read to the end, "
                + $"yet none was disposed: each still held an operating-system handle and its buffers.{Environment.NewLine}"
                + $"Held by: {files.HeldBy}"
                + (refused is null ? "" : $"{Environment.NewLine}The operating system refused to open more: {refused.Message}"),
                "the importer needs a file only while it reads it, and at most {0} may be open at once however large the batch is",
                MaxOpenAtOnce);
        }

        refused.Should().BeNull("every file of the batch must be imported, and none may be refused for lack of file handles");
        summary.Should().Be(batch.Expected, "the batch's totals must add up every reading of its {0:N0} files", BatchSize);
        files.Open.Should().Be(0, "every file of the batch must be disposed by the time ImportBatch returns");
    }

    [Fact]
    public void A_small_batch_adds_up_every_reading()
    {
        using var batch = MeterBatch.Create(files: 3);
        var files = new StreamTracker(bound: int.MaxValue);
        var importer = new MeterReadingImporter(files.OpenRead);

        var summary = Bounded.Run(_ => Task.FromResult(importer.ImportBatch(batch.Paths)), TimeSpan.FromSeconds(30), "importing 3 files");

        summary.Should().Be(batch.Expected, "the batch's totals must add up every reading of its 3 files");
        files.Open.Should().Be(0, "every file of the batch must be disposed by the time ImportBatch returns");
    }

    [Fact]
    public void A_malformed_file_stops_the_batch_and_every_file_is_still_disposed()
    {
        using var batch = MeterBatch.Create(files: 20, malformedFile: 12);
        var files = new StreamTracker(bound: int.MaxValue);
        var importer = new MeterReadingImporter(files.OpenRead);

        var act = () => Bounded.Run(_ => Task.FromResult(importer.ImportBatch(batch.Paths)), TimeSpan.FromSeconds(30), "importing 20 files");

        act.Should().Throw<InvalidDataException>("file 12 of the batch has a line that is not a reading")
            .WithMessage("meter-000012.txt*", "the error must name the malformed file");
        files.Opened.Should().Be(13, "the batch must stop at its malformed file, the 13th it opens");
        files.Open.Should().Be(0, "the 13 files opened before the error must all be disposed when ImportBatch throws");
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
