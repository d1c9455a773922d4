using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Workshop.Benchmarks.Suite;

namespace Workshop.Benchmarks;

/// <summary>
/// Runs the BenchmarkDotNet suite. The full run (<c>--filter '*'</c>, any BenchmarkDotNet arguments) copies each
/// class's GitHub Markdown table to benchmarks/results/; <c>--smoke</c> runs every benchmark of this build's flavour
/// once, in this process, quietly, and exits with 1 if any of them failed.
/// </summary>
public static class BenchmarkCommand
{
    /// <summary>Whether this process runs the smoke run, which checks that every benchmark runs, not how fast.</summary>
    public static bool Smoke { get; private set; }

    public static int Run(string[] args)
    {
        var smoke = Smoke = args.Contains("--smoke");
        var root = Paths.Root;
        var artifacts = Path.Combine(Paths.Project, "BenchmarkDotNet.Artifacts", smoke ? "smoke" : "full");
        if (Directory.Exists(RetainedProbe.Folder))
        {
            Directory.Delete(RetainedProbe.Folder, recursive: true); // measured afresh by every run
        }

        if (smoke)
        {
            return Report(BenchmarkRunner.Run(typeof(BenchmarkCommand).Assembly, SuiteConfig.CreateSmoke(artifacts)));
        }

        // ShortRun: 1 launch, 3 warm-up and 3 measured iterations per benchmark and job, each job in a process it builds.
        var config = SuiteConfig.Create(Job.ShortRun, artifacts, quiet: false);

        var results = BenchmarkSwitcher.FromAssembly(typeof(BenchmarkCommand).Assembly).Run(args, config).ToList();
        foreach (var summary in results)
        {
            Publish(summary, root);
        }

        return results.Count > 0 && results.All(Succeeded) ? 0 : 1;
    }

    private static int Report(IEnumerable<Summary> summaries)
    {
        var failures = 0;
        var cases = 0;
        foreach (var summary in summaries)
        {
            foreach (var report in summary.Reports)
            {
                cases++;
                var ok = report.BuildResult.IsBuildSuccess && report.Success && report.ExecuteResults.All(r => r.IsSuccess);
                Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {report.BenchmarkCase.Descriptor.Type.Name}.{report.BenchmarkCase.Descriptor.WorkloadMethod.Name} [{report.BenchmarkCase.Job.Id}]");
                if (!ok)
                {
                    failures++;
                    foreach (var line in report.ExecuteResults.SelectMany(r => r.Results).Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(10))
                    {
                        Console.WriteLine($"     {line}");
                    }
                }
            }

            if (summary.HasCriticalValidationErrors)
            {
                failures++;
                foreach (var error in summary.ValidationErrors)
                {
                    Console.WriteLine($"FAIL validation: {error.Message}");
                }
            }
        }

        Console.WriteLine(failures == 0 && cases > 0
            ? $"Smoke run passed: {cases} benchmark cases ran once each."
            : $"Smoke run failed: {failures} problem(s) in {cases} benchmark cases. Full logs: BenchmarkDotNet.Artifacts/smoke/.");
        return failures == 0 && cases > 0 ? 0 : 1;
    }

    private static bool Succeeded(Summary summary) =>
        !summary.HasCriticalValidationErrors && summary.Reports.All(r => r.Success);

    /// <summary>
    /// Copies the class's GitHub Markdown table to benchmarks/results/&lt;ClassName without "Benchmarks"&gt;.md, keeping what
    /// the file had from its first <c>## </c> heading on (written by hand: what the table means, where the time goes).
    /// </summary>
    private static void Publish(Summary summary, string root)
    {
        var type = summary.BenchmarksCases.Select(c => c.Descriptor.Type).Distinct().SingleOrDefault();
        var exported = Directory.GetFiles(summary.ResultsDirectoryPath, "*-report-github.md")
            .Where(f => type is not null && Path.GetFileName(f).StartsWith(type.FullName!, StringComparison.Ordinal))
            .ToList();
        if (type is null || exported.Count != 1 || !Succeeded(summary))
        {
            Console.Error.WriteLine($"Not publishing {summary.Title}: the run did not succeed or its table was not found.");
            return;
        }

        var name = type.Name.EndsWith("Benchmarks", StringComparison.Ordinal) ? type.Name[..^"Benchmarks".Length] : type.Name;
        var target = Path.Combine(root, "benchmarks", "results", name + ".md");
        var table = File.ReadAllText(exported[0]);
        var kept = File.Exists(target) ? File.ReadAllText(target) : "";
        var notes = kept.IndexOf("\n## ", StringComparison.Ordinal);
        File.WriteAllText(target, notes >= 0 ? table.TrimEnd() + "\n\n" + kept[(notes + 1)..] : table);
        Console.WriteLine($"Published {Path.GetRelativePath(root, target)}");
    }
}
