using Workshop.Benchmarks;
using Workshop.Benchmarks.Growth;

try
{
    return args switch
    {
        ["growth", ..] => await GrowthCommand.RunAsync(args),
        ["profile-heap-engine", ..] => Workshop.Benchmarks.Suite.HeapEngineProfile.Run(args),
        _ => BenchmarkCommand.Run(args),
    };
}
catch (Exception e)
{
    Console.Error.WriteLine(e);
    return 1;
}
