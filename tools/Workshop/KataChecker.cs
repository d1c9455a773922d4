using System.Diagnostics;

namespace Workshop;

/// <summary>The steps of one check, as they happen, for the screen.</summary>
public enum CheckPhase
{
    Building,
    Testing,
}

/// <summary>A check's result and how long its two halves took.</summary>
public sealed record Check(CheckResult Result, TimeSpan BuildTime, TimeSpan TestTime);

/// <summary>
/// Checks a kata for real: builds its test project (the kata with it), runs the built test assembly directly
/// (<c>dotnet exec Tests.dll -xml …</c>, as tools/Verify does), reads the report, and saves the result with the
/// fingerprint of the files it was built from.
/// </summary>
public sealed class KataChecker(WorkshopRoot root, IKataBuilder builder)
{
    /// <summary>How long a kata's tests may run: its tests bound everything that can hang well below this.</summary>
    public static readonly TimeSpan TestLimit = TimeSpan.FromMinutes(5);

    public ResultStore Results { get; } = new(root.StateDirectory);

    public async Task<Check> CheckAsync(Kata kata, Action<CheckPhase>? phase, CancellationToken cancellationToken)
    {
        if (kata.TestProject is null)
        {
            return new Check(CheckResult.NoResults($"no test project names {kata.Name} in its <Kata> yet", DateTimeOffset.Now), TimeSpan.Zero, TimeSpan.Zero);
        }

        var mode = Modes.Effective(root.StateDirectory, Environment.GetEnvironmentVariable(Modes.EnvironmentVariable)).Mode;
        var before = Fingerprint.Of(root, kata, mode);
        phase?.Invoke(CheckPhase.Building);
        var clock = Stopwatch.StartNew();
        var build = await builder.BuildAsync(kata.TestProject, cancellationToken);
        var buildTime = clock.Elapsed;
        if (!build.Succeeded)
        {
            var failed = CheckResult.BuildFailed(build.Errors, DateTimeOffset.Now);
            Save(kata, mode, before, failed);
            return new Check(failed, buildTime, TimeSpan.Zero);
        }

        phase?.Invoke(CheckPhase.Testing);
        clock.Restart();
        var result = await RunTestsAsync(build.TestAssembly!, cancellationToken);
        Save(kata, mode, before, result);
        return new Check(result, buildTime, clock.Elapsed);
    }

    /// <summary>Saves a result only if no file changed while it was made: otherwise it belongs to no fingerprint.</summary>
    private void Save(Kata kata, string mode, string before, CheckResult result)
    {
        if (result.Outcome != Outcome.NoResults && Fingerprint.Of(root, kata, mode) == before)
        {
            Results.Save(kata.Name, before, result);
        }
    }

    private static async Task<CheckResult> RunTestsAsync(string testAssembly, CancellationToken cancellationToken)
    {
        var report = Path.Combine(Path.GetTempPath(), $"workshop-{Environment.ProcessId}-{Guid.NewGuid():N}.xml");
        try
        {
            var run = await ProcessRunner.RunAsync("dotnet", ["exec", testAssembly, "-xml", report, "-noColor", "-noLogo"],
                Path.GetDirectoryName(testAssembly)!, TestLimit, cancellationToken);
            if (run.TimedOut)
            {
                return CheckResult.NoResults($"the tests were still running after {TestLimit.TotalMinutes:0} minutes and were stopped", DateTimeOffset.Now);
            }

            if (!File.Exists(report))
            {
                var tail = string.Join(Environment.NewLine, run.Output.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).TakeLast(8));
                return CheckResult.NoResults($"the tests reported nothing (exit code {run.ExitCode}){(tail.Length > 0 ? ":" + Environment.NewLine + tail : "")}", DateTimeOffset.Now);
            }

            return CheckResult.FromXunitXml(await File.ReadAllTextAsync(report, cancellationToken), DateTimeOffset.Now);
        }
        finally
        {
            File.Delete(report);
        }
    }
}
