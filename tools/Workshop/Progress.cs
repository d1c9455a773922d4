namespace Workshop;

/// <summary>Where a learner stands on one kata.</summary>
public enum KataState
{
    /// <summary>The kata's folder is as the workshop ships it (which fails its memory test: tools/Verify checks that).</summary>
    NotStarted,

    /// <summary>Changed, built, and at least one test fails.</summary>
    Failing,

    /// <summary>Changed, and it does not build.</summary>
    BuildFailed,

    /// <summary>Every test passes.</summary>
    Solved,

    /// <summary>Changed, and not checked yet (a quick look that runs nothing: <c>watch</c> and <c>hint</c> without a kata).</summary>
    Unchecked,

    /// <summary>No test project names this kata yet.</summary>
    Unknown,
}

public sealed record KataProgress(Kata Kata, KataState State, string Detail, int HintsShown, int HintsTotal)
{
    public bool InProgress => State is KataState.Failing or KataState.BuildFailed or KataState.Unchecked;
}

public static class ProgressLogic
{
    /// <summary>
    /// The state a check's result puts a changed kata in. Tests that reported nothing (the learner's code crashed the
    /// test process, or hung it past the limit) leave the kata failing.
    /// </summary>
    public static (KataState State, string Detail) StateOf(CheckResult result) => result.Outcome switch
    {
        Outcome.Solved => (KataState.Solved, "solved"),
        Outcome.BuildFailed => (KataState.BuildFailed, result.Headline),
        _ => (KataState.Failing, result.Headline),
    };

    /// <summary>
    /// The kata to do next: the first one in progress (changed and not solved), else the first not started, else none;
    /// <paramref name="after"/> skips that kata (the one just solved).
    /// </summary>
    public static Kata? Next(IReadOnlyList<KataProgress> katas, Kata? after = null)
    {
        var open = katas.Where(k => k.Kata != after).ToArray();
        return open.FirstOrDefault(k => k.InProgress)?.Kata ?? open.FirstOrDefault(k => k.State == KataState.NotStarted)?.Kata;
    }

    /// <summary>
    /// One line for the room's chat, every kata in number order so that an instructor can read a column down the pasted
    /// lines: <c>01 ✓ 02 ✗ 03 · 04 ✓ 05 · 06 · 07 ·  2/7 solved · on 02: leak, 3/4 hints</c>.
    /// </summary>
    public static string SummaryLine(IReadOnlyList<KataProgress> katas)
    {
        var marks = string.Join(' ', katas.Select(k => $"{k.Kata.Id} {Mark(k.State)}"));
        var counted = katas.Where(k => k.Kata.TestProject is not null).ToArray();
        var solved = counted.Count(k => k.State == KataState.Solved);
        var line = $"{marks}  {solved}/{counted.Length} solved";
        var current = katas.FirstOrDefault(k => k.InProgress);
        if (current is not null)
        {
            line += $" · on {current.Kata.Id}: {Short(current)}, {current.HintsShown}/{current.HintsTotal} hints";
        }
        else if (solved == counted.Length && counted.Length > 0)
        {
            line += " · all done";
        }

        return line;
    }

    public static string Mark(KataState state) => state switch
    {
        KataState.Solved => "✓",
        KataState.Failing or KataState.BuildFailed or KataState.Unchecked => "✗",
        KataState.NotStarted => "·",
        _ => "?",
    };

    /// <summary>What holds the learner up, in two or three words.</summary>
    private static string Short(KataProgress kata) => kata.State switch
    {
        KataState.BuildFailed => "does not build",
        KataState.Unchecked => "not checked",
        _ when kata.Detail.Contains("Leak detected:", StringComparison.Ordinal) => "leak",
        _ => "a test fails",
    };
}
