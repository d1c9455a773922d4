using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Workshop;

/// <summary>What building a kata's test project gave: the test assembly, or the errors.</summary>
public sealed record BuildOutcome(bool Succeeded, string? TestAssembly, IReadOnlyList<string> Errors);

/// <summary>Builds one test project and what it references (the kata, HeapAssert), incrementally and without a restore.</summary>
public interface IKataBuilder
{
    Task<BuildOutcome> BuildAsync(string testProject, CancellationToken cancellationToken);

    /// <summary>The packages changed on disk (a restore ran): forget what was read of them.</summary>
    void Restored()
    {
    }
}

public static partial class Builders
{
    /// <summary>
    /// The in-process builder (the SDK's own MSBuild, loaded once and kept warm for every later save) unless
    /// <c>WORKSHOP_BUILD=cli</c> asks for a <c>dotnet build</c> per check, or the SDK's MSBuild cannot be loaded.
    /// </summary>
    public static IKataBuilder Create(WorkshopRoot root, Action<string>? warn = null)
    {
        if (!string.Equals(Environment.GetEnvironmentVariable("WORKSHOP_BUILD"), "cli", StringComparison.OrdinalIgnoreCase))
        {
            var problem = InProcessBuilder.TryRegister();
            if (problem is null)
            {
                return new RestoringBuilder(root, new InProcessBuilder(root));
            }

            warn?.Invoke($"Building with `dotnet build` instead of in this process ({problem}).");
        }

        return new RestoringBuilder(root, new CliBuilder(root));
    }

    /// <summary>The build output of a test project, as tools/Verify finds it: bin/Debug/net10.0/Name.dll.</summary>
    public static string TestAssemblyOf(string testProject) =>
        Path.Combine(Path.GetDirectoryName(testProject)!, "bin", "Debug", "net10.0", Path.GetFileNameWithoutExtension(testProject) + ".dll");

    /// <summary>
    /// <c>dir/File.cs(12,5): error CS1002: ; expected [/abs/Project.csproj]</c> →
    /// <c>katas/02-x/File.cs(12,5): error CS1002: ; expected</c>.
    /// </summary>
    public static string Tidy(WorkshopRoot root, string error)
    {
        var text = ProjectSuffix().Replace(error.Trim(), "");
        var match = FileAndPosition().Match(text);
        if (match.Success && Path.IsPathRooted(match.Groups["file"].Value))
        {
            text = root.Relative(match.Groups["file"].Value) + text[match.Groups["file"].Length..];
        }

        return text;
    }

    /// <summary>The errors in <c>dotnet build</c>'s console output, each once.</summary>
    public static IReadOnlyList<string> ErrorsIn(WorkshopRoot root, string output) =>
        [.. output.Split('\n').Where(l => ErrorLine().IsMatch(l)).Select(l => Tidy(root, l)).Distinct()];

    [GeneratedRegex(@"\s+\[[^\]]+\.csproj(::[^\]]*)?\]$")]
    private static partial Regex ProjectSuffix();

    [GeneratedRegex(@"^(?<file>[^(:]+?)(\(\d+(,\d+)?\))?: ")]
    private static partial Regex FileAndPosition();

    [GeneratedRegex(@":\s*error\s+[A-Z]+\d+\s*:|:\s*error\s*:")]
    private static partial Regex ErrorLine();
}

/// <summary>
/// Restores a test project when what its restore depends on changed (its csproj, the kata's csproj, the shared build
/// and package files) since the companion last restored it, or when it never was: a learner who adds a package to a
/// kata gets it on the next save, and every other save builds without a restore. Then builds with <paramref name="inner"/>.
/// </summary>
internal sealed class RestoringBuilder(WorkshopRoot root, IKataBuilder inner) : IKataBuilder
{
    public async Task<BuildOutcome> BuildAsync(string testProject, CancellationToken cancellationToken)
    {
        var stamp = RestoreInputs.Stamp(root, testProject);
        var stampFile = Path.Combine(root.StateDirectory, "restored", Path.GetFileNameWithoutExtension(testProject) + ".stamp");
        var assets = Path.Combine(Path.GetDirectoryName(testProject)!, "obj", "project.assets.json");
        if (!File.Exists(assets) || !File.Exists(stampFile) || File.ReadAllText(stampFile).Trim() != stamp)
        {
            var failed = await RestoreAsync(testProject, cancellationToken);
            if (failed is not null)
            {
                return failed;
            }

            State.WriteAtomically(stampFile, stamp + "\n");
        }

        return await inner.BuildAsync(testProject, cancellationToken);
    }

    private async Task<BuildOutcome?> RestoreAsync(string testProject, CancellationToken cancellationToken)
    {
        var run = await ProcessRunner.RunAsync("dotnet", ["restore", testProject, "-nologo", "-v:q"], root.Path, TimeSpan.FromMinutes(10), cancellationToken);
        if (run.ExitCode == 0)
        {
            inner.Restored();
            return null;
        }

        return new BuildOutcome(false, null,
            Builders.ErrorsIn(root, run.Output) is { Count: > 0 } errors ? errors : [$"`dotnet restore {root.Relative(testProject)}` failed: {CheckResult.FirstLine(run.Output)}"]);
    }
}

/// <summary>What a test project's restore depends on: the project files of the test and its kata, and the shared build files.</summary>
public static class RestoreInputs
{
    public static string Stamp(WorkshopRoot root, string testProject)
    {
        var kata = WorkshopRoot.KataOf(testProject);
        var kataProjects = kata is null || !Directory.Exists(Path.Combine(root.Path, "katas", kata))
            ? []
            : Directory.GetFiles(Path.Combine(root.Path, "katas", kata), "*.csproj");
        var files = new[] { testProject }.Concat(kataProjects)
            .Concat(new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config",
                "tests/Directory.Build.props", "tests/Directory.Build.targets", "tools/HeapAssert/HeapAssert.csproj" }.Select(f => Path.Combine(root.Path, f)))
            .Where(File.Exists)
            .Order(StringComparer.Ordinal);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(root.Relative(file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary><c>dotnet build</c> in a child process: the reference the in-process builder is measured against.</summary>
internal sealed class CliBuilder(WorkshopRoot root) : IKataBuilder
{
    public async Task<BuildOutcome> BuildAsync(string testProject, CancellationToken cancellationToken)
    {
        var run = await ProcessRunner.RunAsync("dotnet",
            ["build", testProject, "--no-restore", "-nologo", "-v:q", "-clp:NoSummary", "-p:UseSharedCompilation=true"],
            root.Path, TimeSpan.FromMinutes(10), cancellationToken);
        if (run.ExitCode == 0)
        {
            return new BuildOutcome(true, Builders.TestAssemblyOf(testProject), []);
        }

        var errors = Builders.ErrorsIn(root, run.Output);
        return new BuildOutcome(false, null, errors.Count > 0 ? errors : [run.TimedOut ? "the build did not finish within 10 minutes" : CheckResult.FirstLine(run.Output)]);
    }
}

/// <summary>
/// The SDK's MSBuild, in this process: evaluations, the SDK resolver and the task assemblies stay loaded between saves, and
/// the C# compiler server stays warm, so a save costs the compile of what changed and little else.
/// </summary>
internal sealed class InProcessBuilder(WorkshopRoot root) : IKataBuilder
{
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>Loads the MSBuild of the SDK that global.json selects; null when done, else why it could not be.</summary>
    public static string? TryRegister()
    {
        try
        {
            Register();
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or BadImageFormatException or TypeLoadException)
        {
            return ex.Message;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Register()
    {
        if (!Microsoft.Build.Locator.MSBuildLocator.IsRegistered)
        {
            Microsoft.Build.Locator.MSBuildLocator.RegisterDefaults();
        }
    }

    public void Restored() => MsBuild.ForgetCaches();

    public async Task<BuildOutcome> BuildAsync(string testProject, CancellationToken cancellationToken)
    {
        await OneAtATime.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => MsBuild.Build(root, testProject, cancellationToken), CancellationToken.None);
        }
        finally
        {
            OneAtATime.Release();
        }
    }
}
