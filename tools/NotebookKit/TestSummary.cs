using System.Text;
using System.Text.RegularExpressions;

namespace NotebookKit;

/// <summary>Turns the console output of <c>dotnet test</c> into a short, stable summary (no timings, no stack traces).</summary>
internal static partial class TestSummary
{
    public static string Summarize(string command, string output, int exitCode, bool timedOut)
    {
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var text = new StringBuilder().AppendLine("$ " + command);
        var results = 0;
        var reports = new List<(string Name, string Text)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var result = TestResult().Match(lines[i]);
            if (!result.Success)
            {
                continue;
            }

            results++;
            var name = ShortName(result.Groups["name"].Value);
            var report = new StringBuilder().AppendLine($"  {result.Groups["outcome"].Value,-7} {name}");
            if (result.Groups["outcome"].Value == "Failed")
            {
                foreach (var message in FailureMessage(lines, i))
                {
                    report.AppendLine("          " + message);
                }
            }

            reports.Add((name, report.ToString()));
        }

        // Tests run in an order of the framework's choosing: sort them so that the same run prints the same summary.
        foreach (var (_, report) in reports.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            text.Append(report);
        }

        if (results > 0)
        {
            var outcomes = lines.Select(l => TestResult().Match(l)).Where(m => m.Success).Select(m => m.Groups["outcome"].Value).ToArray();
            text.AppendLine($"{(exitCode == 0 && !timedOut ? "Passed!" : "Failed!")} Total: {outcomes.Length}, "
                + $"Passed: {outcomes.Count(o => o == "Passed")}, Failed: {outcomes.Count(o => o == "Failed")}, Skipped: {outcomes.Count(o => o == "Skipped")}");
        }

        if (timedOut)
        {
            text.AppendLine("The test run was stopped: it was still running after 10 minutes.");
        }
        else if (results == 0)
        {
            // No test ran: most likely a build error. Show the errors, or the end of the output.
            var errors = lines.Where(l => l.Contains(": error ", StringComparison.Ordinal)).Distinct().Take(10).ToArray();
            text.AppendLine(exitCode == 0 ? "No test matched the filter." : "No test ran. The end of the output:");
            foreach (var line in errors.Length > 0 ? errors : lines.Where(l => l.Trim().Length > 0).TakeLast(15))
            {
                text.AppendLine("  " + line.Trim());
            }
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>The message of the failure reported at line <paramref name="at"/>: from "Error Message:" to "Stack Trace:".</summary>
    private static IEnumerable<string> FailureMessage(string[] lines, int at)
    {
        var j = Array.FindIndex(lines, at + 1, l => l.Trim() == "Error Message:");
        if (j < 0)
        {
            yield break;
        }

        for (j++; j < lines.Length && lines[j].Trim() is not ("Stack Trace:" or "Standard Output Messages:") && !TestResult().IsMatch(lines[j]); j++)
        {
            var message = ExceptionPrefix().Replace(lines[j].Trim(), "");
            if (message.Length > 0)
            {
                yield return message;
            }
        }
    }

    /// <summary><c>UnboundedCaches.Tests.ReportServiceTests.Returns_html</c> → <c>ReportServiceTests.Returns_html</c>.</summary>
    private static string ShortName(string fullName)
    {
        var parts = fullName.Split('(')[0].Split('.');
        return parts.Length >= 2 ? string.Join('.', parts[^2..]) + fullName[fullName.Split('(')[0].Length..] : fullName;
    }

    [GeneratedRegex(@"^\s+(?<outcome>Passed|Failed|Skipped)\s+(?<name>\S.*?)\s+\[[^\]]*\]\s*$")]
    private static partial Regex TestResult();

    [GeneratedRegex(@"^[\w.]+(Exception|Error)\s*:\s*")]
    private static partial Regex ExceptionPrefix();
}
