using FluentAssertions.Execution;

namespace HeapAssert;

/// <summary>How every leak failure is worded, so that a person and the workshop's verification both recognise it.</summary>
public static class Leak
{
    /// <summary>Every leak failure message starts with this.</summary>
    public const string Prefix = "Leak detected: ";

    /// <summary>
    /// Fails the test with a leak message: <c>Leak detected: {headline} because {because}.</c> and then the details
    /// (what holds the objects, the numbers). Use it for leaks measured outside the heap, such as open handles.
    /// </summary>
    public static void Fail(string headline, string details = "", string because = "", params object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(headline);
        var message = Escape(Prefix + headline) + "{reason}." + (details.Length == 0 ? "" : Escape(Environment.NewLine + details.TrimEnd()));
        Execute.Assertion.BecauseOf(because, becauseArgs).FailWith(message);
    }

    /// <summary>True when <paramref name="failure"/> is a leak failure (as opposed to a time-out or a broken test).</summary>
    public static bool IsLeakFailure(Exception failure) =>
        failure.Message.StartsWith(Prefix, StringComparison.Ordinal);

    // FluentAssertions treats {…} in a message as placeholders; type names and paths must come through as written.
    private static string Escape(string text) => text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);
}
