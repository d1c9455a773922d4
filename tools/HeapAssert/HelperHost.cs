using System.Reflection;

namespace HeapAssert;

/// <summary>
/// How <c>dotnet exec</c> runs <c>HeapAssert.dll</c> as the helper process, wherever the library was loaded from.
/// </summary>
internal static class HelperHost
{
    /// <summary>The arguments before <c>--agent &lt;pid&gt;</c>.</summary>
    /// <remarks>
    /// Built as a project, HeapAssert.dll has a runtimeconfig and a deps file of its own next to it. From a NuGet package it
    /// is a library asset, in the test's output folder or in the NuGet cache, and has neither. It then runs with the test
    /// application's own: they name the runtime to use and where ClrMD, its dependency, is (the test's output folder or a
    /// NuGet package folder), as <c>dotnet test</c> runs a test host.
    /// </remarks>
    public static IReadOnlyList<string> ExecArguments(string dll)
    {
        if (File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
        {
            return ["exec", dll];
        }

        var arguments = new List<string> { "exec" };
        // The host lists the application's deps file first, then the frameworks'.
        var deps = List("APP_CONTEXT_DEPS_FILES").FirstOrDefault(File.Exists)
            ?? (Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry ? Path.ChangeExtension(entry, ".deps.json") : null);
        var runtimeConfig = deps is not null && deps.EndsWith(".deps.json", StringComparison.OrdinalIgnoreCase)
            ? deps[..^".deps.json".Length] + ".runtimeconfig.json"
            : null;
        if (deps is null || runtimeConfig is null || !File.Exists(deps) || !File.Exists(runtimeConfig))
        {
            throw new SnapshotUnavailableException(
                $"the HeapAssert helper needs a runtimeconfig.json to run: none next to {dll}, and none for the test application ({deps ?? "no deps file"}).",
                "Reference HeapAssert from a test project that builds an application (an xunit v3, NUnit or MSTest project), and run it with `dotnet test` or as built.");
        }

        arguments.AddRange(["--runtimeconfig", runtimeConfig, "--depsfile", deps]);
        foreach (var probe in List("PROBING_DIRECTORIES").Where(Directory.Exists))
        {
            arguments.AddRange(["--additionalprobingpath", probe]);
        }

        arguments.Add(dll);
        return arguments;
    }

    // Runtime properties that hold lists separate them with ';' (and the platform's path separator, to be safe).
    private static string[] List(string property) =>
        (AppContext.GetData(property) as string)?.Split([';', Path.PathSeparator], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
