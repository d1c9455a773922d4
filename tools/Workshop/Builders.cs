using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Workshop;

/// <summary>What building a kata's test project gave: the test assembly, or the errors.</summary>
public sealed record BuildOutcome(bool Succeeded, string? TestAssembly, IReadOnlyList<string> Errors);

/// <summary>Builds one test project and what it references (the kata, HeapAssert), incrementally and without a restore.</summary>
public interface IKataBuilder
{
    Task<BuildOutcome> BuildAsync(string testProject, CancellationToken cancellationToken);
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

/// <summary>Restores a test project once when it never was (a fresh clone), then builds with <paramref name="inner"/>.</summary>
internal sealed class RestoringBuilder(WorkshopRoot root, IKataBuilder inner) : IKataBuilder
{
    public async Task<BuildOutcome> BuildAsync(string testProject, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(Path.GetDirectoryName(testProject)!, "obj", "project.assets.json")))
        {
            var restore = await RestoreAsync(testProject, cancellationToken);
            if (restore is not null)
            {
                return restore;
            }
        }

        var outcome = await inner.BuildAsync(testProject, cancellationToken);
        if (!outcome.Succeeded && outcome.Errors.Any(e => e.Contains("NETSDK1004", StringComparison.Ordinal) || e.Contains("NETSDK1005", StringComparison.Ordinal)))
        {
            // The packages changed since the last restore (a pull, a switch of branch): restore, and build again.
            return await RestoreAsync(testProject, cancellationToken) ?? await inner.BuildAsync(testProject, cancellationToken);
        }

        return outcome;
    }

    private async Task<BuildOutcome?> RestoreAsync(string testProject, CancellationToken cancellationToken)
    {
        var run = await ProcessRunner.RunAsync("dotnet", ["restore", testProject, "-nologo", "-v:q"], root.Path, TimeSpan.FromMinutes(10), cancellationToken);
        return run.ExitCode == 0 ? null : new BuildOutcome(false, null,
            Builders.ErrorsIn(root, run.Output) is { Count: > 0 } errors ? errors : [$"`dotnet restore {root.Relative(testProject)}` failed: {CheckResult.FirstLine(run.Output)}"]);
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
