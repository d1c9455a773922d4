using DisposalInLoops;
using DisposalInLoops.Tests;
using HeapAssert;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// Kata 01: one batch of files, measured while it runs. Each step is 100 more files; the snapshot is taken when the
/// importer asks for the next file, so it shows how many of the files already read are still open at that moment.
/// </summary>
public sealed class DisposalInLoopsGrowth : GrowthWorkload
{
    private const int FilesPerStep = 100;
    private MeterBatch? _files;

    public override string Kata => "01-disposal-in-loops";

    public override string Measure => "live FileStream during the batch";

    public override string Unit => "files read";

    public override Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken)
    {
        // One extra file, so the last step is also measured while the batch is still running.
        _files = MeterBatch.Create(steps * FilesPerStep + 1);
        var opened = 0;
        var importer = new MeterReadingImporter(path =>
        {
            if (opened > 0 && opened % FilesPerStep == 0)
            {
                measured(opened);
            }

            opened++;
            return File.OpenRead(path);
        });
        return Task.Run(() => importer.ImportBatch(_files.Paths), cancellationToken);
    }

    public override Indicator Count(HeapSnapshot heap)
    {
        var streams = heap.Objects<FileStream>();
        return new Indicator(streams.Count, streams.Bytes);
    }

    public override ValueTask DisposeAsync()
    {
        _files?.Dispose();
        return base.DisposeAsync();
    }
}
