using System.Reflection;
using System.Runtime.CompilerServices;

namespace Workshop.Testing;

/// <summary>
/// Compiled into every kata's test project (tests/Directory.Build.targets). Before any test runs, it reads the learner's
/// mode and sets how this process reports leaks (<see cref="WorkshopMode"/>), and it starts the snapshot helper, so that
/// the helper's start overlaps xunit finding the tests instead of delaying the first memory test.
/// </summary>
internal static class KataTestsInitializer
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        var kata = typeof(KataTestsInitializer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Kata").Value!;
        var (mode, problem) = WorkshopMode.Resolve(
            Environment.GetEnvironmentVariable(WorkshopMode.EnvironmentVariable),
            WorkshopMode.ReadFile(AppContext.BaseDirectory));
        WorkshopMode.Apply(mode, kata, problem);
        HeapAssert.Heap.Prepare();
    }
}
