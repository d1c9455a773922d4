using FluentAssertions.Execution;

namespace HeapAssert;

/// <summary>How much a leak failure says.</summary>
public enum LeakDetail
{
    /// <summary>
    /// The whole diagnosis (the default): what leaked, how many, how many bytes, after what work, the expected bound, the
    /// test's <c>because</c>, and the details: what holds the objects (the retention path), what they await, and so on.
    /// </summary>
    Full,

    /// <summary>
    /// The symptom only: what leaked, how many, how many bytes, after what work, and the expected bound. No <c>because</c>,
    /// no retention path, no other details: for a reader who is to find the cause with snapshots, diffs and retention paths.
    /// </summary>
    Symptom,
}

/// <summary>How every leak failure is worded, so that a person and the workshop's verification both recognise it.</summary>
public static class Leak
{
    /// <summary>Every leak failure message starts with this.</summary>
    public const string Prefix = "Leak detected: ";

    /// <summary>
    /// How much every leak failure says from now on, in this process: <see cref="LeakDetail.Full"/> (the default) or
    /// <see cref="LeakDetail.Symptom"/>. Set it once, before the tests run (from a module initializer, for example).
    /// </summary>
    public static LeakDetail Detail { get; set; } = LeakDetail.Full;

    /// <summary>
    /// A last line added to every leak failure (none by default), at either detail: where to read more, or how to
    /// investigate. Set it once, before the tests run.
    /// </summary>
    public static string Footer { get; set; } = "";

    /// <summary>
    /// Fails the test with a leak message: <c>Leak detected: {headline} because {because}.</c> and then the details
    /// (what holds the objects, the numbers). Use it for leaks measured outside the heap, such as open handles.
    /// With <see cref="Detail"/> set to <see cref="LeakDetail.Symptom"/>, only <c>Leak detected: {headline}.</c> is
    /// kept: write the headline as the symptom (what, how many, how much, after what work, the bound).
    /// </summary>
    public static void Fail(string headline, string details = "", string because = "", params object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(headline);
        Report(headline, details ?? "", symptomDetails: "", because, becauseArgs);
    }

    /// <summary>True when <paramref name="failure"/> is a leak failure (as opposed to a time-out or a broken test).</summary>
    public static bool IsLeakFailure(Exception failure) =>
        failure.Message.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// Fails with a leak message at the current <see cref="Detail"/>: the headline, then <paramref name="details"/> and
    /// the because (full), or <paramref name="symptomDetails"/> only (symptom); then the <see cref="Footer"/>.
    /// </summary>
    internal static void Report(string headline, string details, string symptomDetails, string because, object[] becauseArgs)
    {
        var full = Detail != LeakDetail.Symptom;
        var body = (full ? details : symptomDetails).TrimStart('\r', '\n').TrimEnd();
        var footer = Footer.Trim();
        var message = Escape(Prefix + headline) + (full ? "{reason}" : "") + "."
            + (body.Length == 0 ? "" : Escape(Environment.NewLine + body))
            + (footer.Length == 0 ? "" : Escape(Environment.NewLine + footer));
        if (full)
        {
            Execute.Assertion.BecauseOf(because, becauseArgs).FailWith(message);
        }
        else
        {
            Execute.Assertion.FailWith(message);
        }
    }

    // FluentAssertions treats {…} in a message as placeholders; type names and paths must come through as written.
    private static string Escape(string text) => text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);
}
