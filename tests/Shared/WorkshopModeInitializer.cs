using System.Reflection;
using System.Runtime.CompilerServices;

namespace Workshop.Testing;

/// <summary>
/// Compiled into every kata's test project (tests/Directory.Build.targets): before any test runs, reads the learner's
/// mode and sets how this process reports leaks (<see cref="WorkshopMode"/>).
/// </summary>
internal static class WorkshopModeInitializer
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        var kata = typeof(WorkshopModeInitializer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Kata").Value!;
        var (mode, problem) = WorkshopMode.Resolve(
            Environment.GetEnvironmentVariable(WorkshopMode.EnvironmentVariable),
            WorkshopMode.ReadFile(AppContext.BaseDirectory));
        WorkshopMode.Apply(mode, kata, problem);
    }
}
