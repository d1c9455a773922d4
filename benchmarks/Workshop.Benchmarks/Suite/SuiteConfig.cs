using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.NoEmit;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// Marks a benchmark class whose code does not depend on the kata flavour (it calls a library or the runtime directly):
/// it runs under the Leaky job only, since the Fixed build would measure the very same code again.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class FlavourIndependentAttribute : Attribute;

/// <summary>
/// Job settings for a full run only: measured iterations (for a median worth comparing) or invocations per iteration (for
/// an operation too short to time alone), 0 for BenchmarkDotNet's choice. The smoke run, which checks only that each
/// benchmark runs, keeps <c>Job.Dry</c>: one invocation, one iteration. (A class's job attributes apply to every job, the
/// smoke run's included: a plain <c>[InvocationCount(16)]</c> made kata 06's quadratic leak take 23 s of the smoke run.)
/// Every benchmark class sets its counts with it, none with BenchmarkDotNet's own attributes.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class FullRunAttribute(int iterations = 0, int invocations = 0)
    : JobMutatorConfigBaseAttribute(BenchmarkCommand.Smoke ? Job.Dry : Full(iterations, invocations))
{
    private static Job Full(int iterations, int invocations)
    {
        var job = Job.Default;
        job = iterations > 0 ? job.WithIterationCount(iterations) : job;
        // As [InvocationCount(n)] does: no unrolling, so that n need not be a multiple of 16.
        return invocations > 0 ? job.WithInvocationCount(invocations).WithUnrollFactor(1) : job;
    }
}

/// <summary>
/// The suite's configuration: every benchmark class runs twice, under a "Leaky" job built against katas/ and a "Fixed"
/// job built against solutions/ (BenchmarkDotNet builds the benchmarks project again with /p:UseSolutions=true).
/// </summary>
public static class SuiteConfig
{
    public static IConfig Create(Job baseJob, string artifacts, bool quiet) =>
        Create([baseJob.WithId("Leaky"), baseJob.WithArguments([new MsBuildArgument("/p:UseSolutions=true")]).WithId("Fixed")], artifacts, quiet);

    /// <summary>
    /// The smoke run's configuration: every benchmark once (<c>Job.Dry</c>), in this process, under the one job of this
    /// build's flavour. It checks that each benchmark runs in both builds, not how fast: run it from each build.
    /// </summary>
    public static IConfig CreateSmoke(string artifacts) =>
        Create([Job.Dry.WithToolchain(InProcessNoEmitToolchain.Instance).WithId(Flavour.JobName)], artifacts, quiet: true);

    private static IConfig Create(Job[] jobs, string artifacts, bool quiet)
    {
        var config = ManualConfig.CreateEmpty()
            .AddJob(jobs)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Descriptor, DefaultColumnProviders.Job, DefaultColumnProviders.Params)
            .AddColumn(StatisticColumn.Mean, StatisticColumn.Error, StatisticColumn.StdDev, StatisticColumn.Median)
            .AddColumnProvider(DefaultColumnProviders.Metrics)
            .AddColumn(RetainedColumn.For(RetainedProbe.Folder))
            .AddColumn(new LoadAverageColumn(RetainedProbe.Folder))
            .AddFilter(new SimpleFilter(c => c.Job.Id == "Leaky"
                || !c.Descriptor.Type.IsDefined(typeof(FlavourIndependentAttribute), inherit: false)))
            .AddExporter(MarkdownExporter.GitHub)
            .AddLogger(quiet ? NullLogger.Instance : ConsoleLogger.Default)
            .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
            .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40))
            .WithArtifactsPath(artifacts)
            .WithBuildTimeout(TimeSpan.FromMinutes(15)) // two builds of every project, on a small shared machine
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        return config;
    }
}
