using Microsoft.Build.Execution;
using Microsoft.Build.Framework;

namespace Workshop;

/// <summary>
/// The only code that touches MSBuild's types. It runs only after <see cref="InProcessBuilder.TryRegister"/> has pointed the
/// runtime at the SDK's MSBuild assemblies, which is why it lives in a class of its own.
/// </summary>
internal static class MsBuild
{
    /// <summary>After a restore: the generated imports in obj/ changed, so read everything afresh.</summary>
    public static void ForgetCaches() => BuildManager.DefaultBuildManager.ResetCaches();

    public static BuildOutcome Build(WorkshopRoot root, string testProject, CancellationToken cancellationToken)
    {
        var errors = new ErrorLogger(root);
        var parameters = new BuildParameters
        {
            Loggers = [errors],
            MaxNodeCount = 1, // in this process: no worker nodes to start
            EnableNodeReuse = false,
        };
        var request = new BuildRequestData(testProject, new Dictionary<string, string?>
        {
            // The compiler server keeps the C# compiler loaded and jitted between saves; a learner's machine uses it by
            // default, and this asks for it even where the environment turned it off.
            ["UseSharedCompilation"] = "true",
        }, null, ["Build"], null);

        using var cancel = cancellationToken.Register(() => BuildManager.DefaultBuildManager.CancelAllSubmissions());
        var result = BuildManager.DefaultBuildManager.Build(parameters, request);
        cancellationToken.ThrowIfCancellationRequested();
        if (result.OverallResult == BuildResultCode.Success)
        {
            var target = result.ResultsByTarget.TryGetValue("Build", out var build) ? build.Items.FirstOrDefault()?.ItemSpec : null;
            return new BuildOutcome(true, target ?? Builders.TestAssemblyOf(testProject), []);
        }

        var reported = errors.Errors;
        return new BuildOutcome(false, null, reported.Count > 0 ? reported
            : [result.Exception?.Message ?? $"the build of {root.Relative(testProject)} failed without an error message"]);
    }

    private sealed class ErrorLogger(WorkshopRoot root) : ILogger
    {
        private readonly List<string> _errors = [];

        public IReadOnlyList<string> Errors
        {
            get
            {
                lock (_errors)
                {
                    return [.. _errors.Distinct()];
                }
            }
        }

        public LoggerVerbosity Verbosity { get; set; } = LoggerVerbosity.Quiet;

        public string? Parameters { get; set; }

        public void Initialize(IEventSource eventSource) => eventSource.ErrorRaised += (_, e) =>
        {
            var file = e.File;
            if (!string.IsNullOrEmpty(file) && !Path.IsPathRooted(file) && e.ProjectFile is { Length: > 0 } project)
            {
                file = Path.Combine(Path.GetDirectoryName(project)!, file);
            }

            var where = string.IsNullOrEmpty(file) ? "" : root.Relative(file) + (e.LineNumber > 0 ? $"({e.LineNumber},{e.ColumnNumber})" : "") + ": ";
            lock (_errors)
            {
                _errors.Add($"{where}error {e.Code}: {e.Message}".Replace("error : ", "error: ", StringComparison.Ordinal));
            }
        };

        public void Shutdown()
        {
        }
    }
}
