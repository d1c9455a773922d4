using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace HeapAssert.DotMemoryStyle;

/// <summary>
/// dotMemory Unit's entry point, on HeapAssert's engine: a test written for dotMemory Unit runs here by changing
/// <c>using JetBrains.dotMemoryUnit;</c> to <c>using HeapAssert.DotMemoryStyle;</c>, under a plain <c>dotnet test</c>,
/// on Linux, macOS and Windows.
/// </summary>
[SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "dotMemory Unit's own spelling, so that a ported test compiles unchanged.")]
public static class dotMemory
{
    /// <summary>
    /// Collects and snapshots the heap, and returns a checkpoint to compare a later check with
    /// (<c>memory.GetDifference(checkPoint)</c>).
    /// </summary>
    /// <exception cref="SnapshotUnavailableException">The heap cannot be read here; the message says why and how to fix it.</exception>
    public static MemoryCheckPoint Check() => new(Take());

    /// <summary>
    /// Collects and snapshots the heap, and runs <paramref name="check"/> on it once. When an assertion in it fails, the test
    /// fails with a leak message that keeps the assertion's own text and adds, for every object set the check looked at,
    /// how many objects, how many bytes, and the path from a GC root that holds one of them.
    /// </summary>
    /// <returns>A checkpoint to compare a later check with.</returns>
    public static MemoryCheckPoint Check(Action<Memory> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var state = Take();
        var record = new CheckRecord();
        try
        {
            check(new Memory(state, record));
        }
        catch (Exception failure) when (IsAssertionFailure(failure))
        {
            Fail(failure, record);
        }

        return new MemoryCheckPoint(state);
    }

    // "Held by: <path>", or "Held by (499 of 500): <path>" when the objects of the set are not all held the same way.
    private static string? HeldBy(ObjectSet set)
    {
        if (set.CommonPath() is not var (path, sharing))
        {
            return null;
        }

        var how = set.Kind == "dead" ? "Held at the checkpoint by" : "Held by";
        return sharing == set.ObjectsCount ? $"{how}: {path}" : $"{how} ({sharing:N0} of {set.ObjectsCount:N0}): {path}";
    }

    private static MemoryState Take()
    {
        var clock = Stopwatch.StartNew();
        var state = MemoryState.Take();
        DotMemoryUnitTestOutput.Write(
            $"dotMemory.Check: {state.Visible.Length:N0} live objects, {ByteSize.Format(state.TotalBytes)} (snapshot in {clock.ElapsedMilliseconds:N0} ms)");
        return state;
    }

    // A failed Assert (xunit, NUnit, MSTest, FluentAssertions) inside the check, as opposed to a bug in the test's code.
    // A failure that already speaks of a leak (Leak.Fail inside the check) goes through as it is.
    private static bool IsAssertionFailure(Exception failure)
    {
        if (Leak.IsLeakFailure(failure) || failure is SnapshotUnavailableException)
        {
            return false;
        }

        for (var type = failure.GetType(); type is not null; type = type.BaseType)
        {
            if (type.Name.Contains("Assert", StringComparison.Ordinal) || type.FullName?.StartsWith("Xunit.Sdk.", StringComparison.Ordinal) == true)
            {
                return true;
            }
        }

        return failure.GetType().GetInterfaces().Any(i => i.Name == "IAssertionException");
    }

    private static void Fail(Exception failure, CheckRecord record)
    {
        // The set asserted on is, as a rule, the last one the check asked for before the assertion threw.
        var sets = record.Queried;
        var subject = sets.LastOrDefault();
        var headline = subject is null
            ? "the dotMemory-style check failed"
            : $"{subject} failed the dotMemory-style check";

        var check = "The check: " + failure.Message.Trim().ReplaceLineEndings(Environment.NewLine + "    ");
        var details = new StringBuilder(check).AppendLine();
        if (subject is not null && HeldBy(subject) is { } heldBy)
        {
            details.AppendLine(heldBy);
        }

        foreach (var other in sets.Where(s => s != subject && s.ObjectsCount > 0).DistinctBy(s => (s.Kind, s.Description)).Take(5))
        {
            details.AppendLine($"It also looked at {other}").AppendLine($"    {HeldBy(other)}");
        }

        // Throws, unless the test collects failures in an AssertionScope, which then reports this one with the others.
        // The symptom keeps the check's own words (the bound it asserted) and leaves out what holds the objects.
        Leak.Report(headline, details.ToString(), check, because: "", becauseArgs: []);
    }
}

/// <summary>
/// Where dotMemory-style checks write what they did (one line per snapshot: live objects, bytes, time taken):
/// dotMemory Unit's <c>DotMemoryUnitTestOutput</c>. With xunit, pass <c>ITestOutputHelper.WriteLine</c>.
/// </summary>
public static class DotMemoryUnitTestOutput
{
    private static readonly AsyncLocal<Action<string>?> s_output = new();

    /// <summary>Writes every check's summary line to <paramref name="writeLine"/> (for the current test and what it starts).</summary>
    public static void SetOutputMethod(Action<string> writeLine) => s_output.Value = writeLine;

    internal static void Write(string line) => s_output.Value?.Invoke(line);
}

/// <summary>What dotMemory Unit does with snapshots of a failed test.</summary>
public enum SavingStrategy
{
    /// <summary>Save when a check fails.</summary>
    OnCheckFail,

    /// <summary>Save when the test fails for any reason.</summary>
    OnAnyFail,

    /// <summary>Never save.</summary>
    Never,
}

/// <summary>
/// dotMemory Unit's test settings, accepted so that a ported test compiles unchanged. HeapAssert needs no profiler, so a
/// check always runs: it snapshots the heap or fails the test saying why (that is <see cref="FailIfRunWithoutSupport"/>
/// = true, whatever it is set to). It saves no workspace: the failure message carries the counts, the bytes and the
/// retention path instead. Allocation traffic is not collected (see the README).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Assembly)]
public sealed class DotMemoryUnitAttribute : Attribute
{
    /// <summary>Accepted; traffic between checkpoints is not collected here.</summary>
    public bool CollectAllocations { get; set; }

    /// <summary>Accepted; a check that cannot snapshot always fails the test here, it never skips.</summary>
    public bool FailIfRunWithoutSupport { get; set; } = true;

    /// <summary>Accepted; no workspace is saved, the failure message carries the retention path.</summary>
    public SavingStrategy SavingStrategy { get; set; } = SavingStrategy.OnCheckFail;

    /// <summary>Accepted; no workspace is saved.</summary>
    public string? Directory { get; set; }

    /// <summary>Accepted; no workspace is saved.</summary>
    public int WorkspaceNumberLimit { get; set; }

    /// <summary>Accepted; no workspace is saved.</summary>
    public long DiskSpaceLimit { get; set; }
}
