using System.Reflection;

namespace Workshop.Benchmarks;

/// <summary>Which code this build runs: the learner's katas ("katas") or the fixed versions ("solutions").</summary>
public static class Flavour
{
    /// <summary>"katas" or "solutions", as the build's $(KataFlavor) property said.</summary>
    public static string Current { get; } = typeof(Flavour).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "KataFlavor").Value ?? "katas";

    /// <summary>The name BenchmarkDotNet's job and the result tables use: "Leaky" for katas, "Fixed" for solutions.</summary>
    public static string JobName => Current == "solutions" ? "Fixed" : "Leaky";
}
