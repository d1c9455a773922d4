using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Workshop.Shared;

namespace NotebookKit;

/// <summary>Turns xunit's XML results into a short, stable summary (no timings, no stack traces).</summary>
internal static partial class TestSummary
{
    /// <summary>What the cache holds for a run that was stopped, in place of the XML it never wrote.</summary>
    public const string TimedOut = "timed-out";

    /// <summary>What the cache holds for a run that wrote no results: its exit code and the end of its output.</summary>
    public static string NoResults(int exitCode, string output) =>
        $"no-results {exitCode}{Environment.NewLine}{string.Join(Environment.NewLine, output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).TakeLast(15))}";

    public static string BuildFailed(string header, string output)
    {
        var lines = output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        var errors = lines.Where(l => l.Contains(": error ", StringComparison.Ordinal)).Distinct().Take(10).ToArray();
        var text = new StringBuilder().AppendLine(header).AppendLine("The build failed, so no test ran:");
        foreach (var line in errors.Length > 0 ? errors : lines.TakeLast(15))
        {
            text.AppendLine("  " + line);
        }

        return text.ToString().TrimEnd();
    }

    public static string Summarize(string header, string results)
    {
        var text = new StringBuilder().AppendLine(header);
        if (results == TimedOut)
        {
            return text.Append("The test run was stopped: it was still running after 10 minutes.").ToString();
        }

        if (results.StartsWith("no-results ", StringComparison.Ordinal))
        {
            var lines = results.Split(Environment.NewLine);
            text.AppendLine($"The test run wrote no results (exit code {lines[0]["no-results ".Length..]}). The end of its output:");
            foreach (var line in lines.Skip(1))
            {
                text.AppendLine("  " + line.Trim());
            }

            return text.ToString().TrimEnd();
        }

        var tests = XDocument.Parse(results).Descendants("test")
            .Select(t => (Name: ShortName(t.Attribute("name")?.Value ?? "?"), Outcome: Outcome(t.Attribute("result")?.Value),
                Message: XunitXml.FailureMessage(t)))
            .OrderBy(t => t.Name, StringComparer.Ordinal) // the framework runs tests in an order of its choosing
            .ToArray();
        foreach (var (name, outcome, message) in tests)
        {
            text.AppendLine($"  {outcome,-7} {name}");
            if (outcome == "Failed")
            {
                foreach (var line in ExceptionPrefix().Replace(message.Trim(), "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
                {
                    text.AppendLine("          " + line);
                }
            }
        }

        var failed = tests.Count(t => t.Outcome == "Failed");
        text.Append(tests.Length == 0
            ? "No test ran."
            : $"{(failed == 0 ? "Passed!" : "Failed!")} Total: {tests.Length}, Passed: {tests.Count(t => t.Outcome == "Passed")}, "
              + $"Failed: {failed}, Skipped: {tests.Count(t => t.Outcome == "Skipped")}");
        return text.ToString();
    }

    private static string Outcome(string? result) => result switch
    {
        "Pass" => "Passed",
        "Fail" => "Failed",
        "Skip" => "Skipped",
        _ => result ?? "?",
    };

    /// <summary><c>UnboundedCaches.Tests.ReportServiceTests.Returns_html</c> → <c>ReportServiceTests.Returns_html</c>.</summary>
    private static string ShortName(string fullName)
    {
        var parts = fullName.Split('(')[0].Split('.');
        return parts.Length >= 2 ? string.Join('.', parts[^2..]) + fullName[fullName.Split('(')[0].Length..] : fullName;
    }

    // xunit writes "<exception type> : <message>" for an exception that is not an assertion's own.
    [GeneratedRegex(@"^[\w.`+]+(Exception|Error)\s*:\s*")]
    private static partial Regex ExceptionPrefix();
}
