using System.Text.Json.Serialization;
using System.Xml.Linq;
using Workshop.Shared;

namespace Workshop;

/// <summary>One test of a kata, as the xunit run reported it.</summary>
public sealed record TestCase(string Name, string Result, bool IsMemoryTest, string Message)
{
    [JsonIgnore]
    public bool Failed => Result is not ("Pass" or "Skip");

    /// <summary><c>JobRunnerTests.A_batch_with_missing_keys…</c>: the class and the method, without the namespace.</summary>
    [JsonIgnore]
    public string ShortName
    {
        get
        {
            var plain = Name.Split('(')[0];
            var parts = plain.Split('.');
            return parts.Length >= 2 ? string.Join('.', parts[^2..]) + Name[plain.Length..] : Name;
        }
    }
}

/// <summary>What one check of a kata found.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Outcome>))]
public enum Outcome
{
    /// <summary>It builds and every test passes.</summary>
    Solved,

    /// <summary>It builds, and at least one test fails.</summary>
    Failing,

    /// <summary>It does not build: the tests did not run.</summary>
    BuildFailed,

    /// <summary>The tests ran but reported nothing (a crash, a time-out), or the kata has no test project.</summary>
    NoResults,
}

/// <summary>The verdict of one build-and-test of a kata: every test with its message, or the build errors.</summary>
public sealed record CheckResult(Outcome Outcome, IReadOnlyList<TestCase> Tests, IReadOnlyList<string> Problems, DateTimeOffset At)
{
    /// <summary>The failing tests in the order they are shown: memory tests first (the kata's point), then the others.</summary>
    [JsonIgnore]
    public IReadOnlyList<TestCase> Failures =>
        [.. Tests.Where(t => t.Failed).OrderBy(Rank).ThenBy(t => t.ShortName, StringComparer.Ordinal)];

    /// <summary>One line: what a learner most needs to know about this result.</summary>
    [JsonIgnore]
    public string Headline => Outcome switch
    {
        Outcome.Solved => $"all {Tests.Count} tests pass",
        Outcome.Failing => FirstLine(Failures.FirstOrDefault()?.Message is { Length: > 0 } message ? message : $"{Failures.FirstOrDefault()?.ShortName} fails"),
        Outcome.BuildFailed => Problems.Count > 0 ? FirstLine(Problems[0]) : "the build failed",
        _ => Problems.Count > 0 ? FirstLine(Problems[0]) : "no test results",
    };

    /// <summary>
    /// The kata's own memory tests first, then the same check in dotMemory Unit's vocabulary (DotMemoryStyleTests, which
    /// restates it), then the other tests.
    /// </summary>
    private static int Rank(TestCase test) =>
        !test.IsMemoryTest ? 2 : test.ShortName.StartsWith("DotMemoryStyleTests.", StringComparison.Ordinal) ? 1 : 0;

    public static string FirstLine(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')[0].Trim();

    public static CheckResult BuildFailed(IReadOnlyList<string> errors, DateTimeOffset at) => new(Outcome.BuildFailed, [], errors, at);

    public static CheckResult NoResults(string problem, DateTimeOffset at) => new(Outcome.NoResults, [], [problem], at);

    /// <summary>Judges a run from its tests: solved when there are tests and none failed (a skipped test fails nothing).</summary>
    public static CheckResult FromTests(IReadOnlyList<TestCase> tests, IReadOnlyList<string> errors, DateTimeOffset at)
    {
        if (tests.Count == 0 && errors.Count == 0)
        {
            return NoResults("the test project ran no test", at);
        }

        var failing = errors.Count > 0 || tests.Any(t => t.Failed);
        return new CheckResult(failing ? Outcome.Failing : Outcome.Solved, tests, errors, at);
    }

    /// <summary>
    /// Reads the xunit v3 XML report (<c>-xml file</c>): each test with its result, whether it carries
    /// <c>[Trait("Memory", "leak")]</c>, and its failure message as the test wrote it; errors outside any test
    /// (a failing fixture, an assembly that could not load) become failures too.
    /// </summary>
    public static CheckResult FromXunitXml(string xml, DateTimeOffset at)
    {
        var document = XDocument.Parse(xml);
        var tests = document.Descendants("test").Select(t => new TestCase(
            t.Attribute("name")?.Value ?? "?",
            t.Attribute("result")?.Value ?? "?",
            t.Descendants("trait").Any(tr => tr.Attribute("name")?.Value == "Memory" && tr.Attribute("value")?.Value == "leak"),
            XunitXml.FailureMessage(t).Trim())).ToArray();
        var errors = document.Descendants("errors").Elements("error").Select(e =>
            $"{e.Attribute("name")?.Value ?? e.Attribute("type")?.Value ?? "error"}: {XunitXml.FailureMessage(e).Trim()}").ToArray();
        return FromTests(tests, errors, at);
    }
}
