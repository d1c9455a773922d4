using System.Reflection;
using System.Text;
using FluentAssertions;
using FluentAssertions.Primitives;

namespace HeapAssert;

/// <summary>Entry point for FluentAssertions on a snapshot: <c>heap.Should()…</c>.</summary>
public static class HeapSnapshotExtensions
{
    /// <summary>Assertions on what a snapshot holds.</summary>
    public static HeapSnapshotAssertions Should(this HeapSnapshot snapshot) => new(snapshot);
}

/// <summary>Heap assertions in the style of dotMemory Unit, failing with a message that says what leaked and what holds it.</summary>
public sealed class HeapSnapshotAssertions(HeapSnapshot snapshot) : ReferenceTypeAssertions<HeapSnapshot, HeapSnapshotAssertions>(snapshot)
{
    private string _after = "";

    /// <inheritdoc />
    protected override string Identifier => "heap";

    /// <summary>
    /// The work done before the snapshot, named in every leak failure of the assertion that follows, at either
    /// <see cref="Leak.Detail"/>: <c>heap.Should().After("a batch of 1,000 jobs").HaveNoLiveInstancesOf&lt;Job&gt;()</c>
    /// fails with <c>Leak detected: 68 live Job (…) after a batch of 1,000 jobs, expected none</c>.
    /// </summary>
    public HeapSnapshotAssertions After(string work)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(work);
        _after = " after " + work.Trim();
        return this;
    }

    /// <summary>No live object of exactly <typeparamref name="T"/>.</summary>
    public AndConstraint<HeapSnapshotAssertions> HaveNoLiveInstancesOf<T>(string because = "", params object[] becauseArgs) =>
        HaveAtMost(0).LiveInstancesOf<T>(because, becauseArgs);

    /// <summary>At most <paramref name="count"/> live objects of the type named next: <c>HaveAtMost(1_000).LiveInstancesOf&lt;Entry&gt;()</c>.</summary>
    public LiveInstanceLimit HaveAtMost(int count) => new(this, count);

    /// <summary>
    /// goleak's <c>VerifyNone</c> for .NET: no async method declared in <paramref name="assembly"/> is still pending and
    /// no thread is inside its code, beyond what <paramref name="baseline"/> already had (goleak's <c>IgnoreCurrent</c>).
    /// </summary>
    /// <param name="assembly">Whose work must have ended, e.g. <c>typeof(MyService).Assembly</c>.</param>
    /// <param name="baseline">A snapshot taken before the scenario; its pending methods and threads are not counted.</param>
    /// <param name="ignore">Known long-lived work to leave out, e.g. <c>m =&gt; m.Method == "Hub.HeartbeatAsync"</c>.</param>
    /// <param name="because">Why it matters (left out when <see cref="Leak.Detail"/> is <see cref="LeakDetail.Symptom"/>).</param>
    /// <param name="becauseArgs">Arguments for <paramref name="because"/>.</param>
    public AndConstraint<HeapSnapshotAssertions> HaveNoLingeringWorkFrom(Assembly assembly, HeapSnapshot? baseline = null,
        Func<PendingAsyncMethod, bool>? ignore = null, string because = "", params object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var before = baseline?.PendingAsyncMethods(assembly).GroupBy(p => p.Method).ToDictionary(g => g.Key, g => g.Sum(p => p.Count)) ?? [];
        var pending = new List<PendingAsyncMethod>();
        foreach (var group in Subject.PendingAsyncMethods(assembly).Where(p => ignore?.Invoke(p) != true))
        {
            var known = before.GetValueOrDefault(group.Method);
            before[group.Method] = Math.Max(0, known - group.Count);
            if (group.Count > known)
            {
                pending.Add(group with { Count = group.Count - known, Bytes = group.Bytes * (group.Count - known) / group.Count });
            }
        }

        var knownThreads = baseline?.ThreadsIn(assembly).Select(t => t.ManagedThreadId).ToHashSet() ?? [];
        var threads = Subject.ThreadsIn(assembly).Where(t => !knownThreads.Contains(t.ManagedThreadId)).ToArray();
        if (pending.Count > 0 || threads.Length > 0)
        {
            Leak.Report(LingeringHeadline(assembly.GetName().Name!, pending, threads, _after), LingeringDetails(pending, threads) + LeftOut(),
                LingeringSymptom(pending, threads) + LeftOut(), because, becauseArgs);
        }

        return new AndConstraint<HeapSnapshotAssertions>(this);
    }

    // An async method that a thread is running right now, and that has pending instances, is work that keeps going
    // (a loop that spins, throws and catches, polls without waiting): "still running", not just "still pending".
    private static string LingeringHeadline(string module, List<PendingAsyncMethod> pending, ThreadInCode[] threads, string after)
    {
        var running = threads.Select(t => t.Method).ToHashSet();
        var parts = pending.Where(p => running.Contains(p.Method)).GroupBy(p => p.Method)
            .Select(g => $"{g.Sum(p => p.Count):N0} × {g.Key} still running").ToList();
        var waiting = pending.Where(p => !running.Contains(p.Method)).Sum(p => p.Count);
        if (waiting > 0)
        {
            parts.Add($"{waiting:N0} async method{(waiting == 1 ? "" : "s")} from {module} {(waiting == 1 ? "is" : "are")} still pending");
        }

        var busy = threads.Count(t => !pending.Any(p => p.Method == t.Method));
        if (busy > 0)
        {
            parts.Add($"{busy} thread{(busy == 1 ? " is" : "s are")} still inside {module} code");
        }

        return string.Join(" and ", parts) + after + ", expected none";
    }

    // The symptom: which methods, how many and how many bytes, and how many threads are in each; not what they await,
    // what holds them or what the threads are throwing.
    private static string LingeringSymptom(List<PendingAsyncMethod> pending, ThreadInCode[] threads)
    {
        var symptom = new StringBuilder();
        var byMethod = threads.GroupBy(t => t.Method).ToDictionary(g => g.Key, g => g.Count());
        foreach (var group in pending.GroupBy(p => p.Method))
        {
            var onThreads = byMethod.GetValueOrDefault(group.Key);
            symptom.AppendLine($"  {group.Sum(p => p.Count):N0} × {group.Key} ({ByteSize.Format(group.Sum(p => p.Bytes))} of state machines)"
                + (onThreads == 0 ? "" : $", {(onThreads == 1 ? "1 thread is" : $"{onThreads} threads are")} in it right now"));
        }

        foreach (var (method, count) in byMethod.Where(m => !pending.Any(p => p.Method == m.Key)))
        {
            symptom.AppendLine($"  {(count == 1 ? "1 thread is" : $"{count} threads are")} in {method} right now");
        }

        return symptom.ToString();
    }

    private static string LingeringDetails(List<PendingAsyncMethod> pending, ThreadInCode[] threads)
    {
        var details = new StringBuilder();
        var byMethod = threads.GroupBy(t => t.Method).ToDictionary(g => g.Key, g => g.ToArray());
        foreach (var group in pending.GroupBy(p => p.Method))
        {
            if (byMethod.TryGetValue(group.Key, out var onThreads))
            {
                var awaiting = string.Join(" or ", group.Select(p => p.Awaiting).Where(a => a != TypeNames.Awaited("")).Distinct());
                details.AppendLine($"  {group.Sum(p => p.Count):N0} × {group.Key} still running: {Threads(onThreads)} in it right now{Throwing(onThreads)}"
                        + (awaiting.Length > 0 ? $"; between runs it awaits {awaiting}" : ""))
                    .AppendLine($"      held by: {group.First().HeldBy}");
                continue;
            }

            foreach (var p in group)
            {
                details.AppendLine($"  {p}").AppendLine($"      held by: {p.HeldBy}");
            }
        }

        if (byMethod.Count > 0)
        {
            details.AppendLine("  Threads in its code right now, by method:");
            foreach (var (method, onThreads) in byMethod.OrderByDescending(g => g.Value.Length))
            {
                details.AppendLine($"  {onThreads.Length} × {method} ({string.Join(", ", onThreads.Select(t => $"#{t.ManagedThreadId}"))}){Throwing(onThreads)}");
                foreach (var t in onThreads.Take(3))
                {
                    details.AppendLine($"      {t}");
                }
            }
        }

        return details.ToString();
    }

    private static string Threads(ThreadInCode[] threads) => threads.Length == 1 ? "1 thread is" : $"{threads.Length} threads are";

    private static string Throwing(ThreadInCode[] threads) =>
        threads.Where(t => t.Exception.Length > 0).Select(t => t.Exception).Distinct().ToArray() is { Length: > 0 } exceptions
            ? $", throwing {string.Join(" and ", exceptions)}"
            : "";

    private string LeftOut() => Subject.LeftOut.Count == 0
        ? ""
        : Environment.NewLine + "Not in this snapshot: " + string.Join("; ", Subject.LeftOut) + ".";

    internal AndConstraint<HeapSnapshotAssertions> AtMost(int limit, ObjectSet set, string because, object[] becauseArgs)
    {
        if (set.Count > limit)
        {
            var expected = limit == 0 ? "expected none" : $"expected at most {limit:N0}";
            var path = set.ShortestPath();
            Leak.Report($"{set}{_after}, {expected}", (path is null ? "" : $"Held by: {path}") + LeftOut(), LeftOut(), because, becauseArgs);
        }

        return new AndConstraint<HeapSnapshotAssertions>(this);
    }
}

/// <summary>The second half of <c>HaveAtMost(n).LiveInstancesOf&lt;T&gt;()</c>.</summary>
public sealed class LiveInstanceLimit
{
    private readonly HeapSnapshotAssertions _assertions;
    private readonly int _limit;

    internal LiveInstanceLimit(HeapSnapshotAssertions assertions, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _assertions = assertions;
        _limit = limit;
    }

    /// <summary>Live objects of exactly <typeparamref name="T"/>.</summary>
    public AndConstraint<HeapSnapshotAssertions> LiveInstancesOf<T>(string because = "", params object[] becauseArgs) =>
        LiveInstancesOf(typeof(T), because, becauseArgs);

    /// <summary>Live objects of exactly <paramref name="type"/>, or of any closed type of a generic definition.</summary>
    public AndConstraint<HeapSnapshotAssertions> LiveInstancesOf(Type type, string because = "", params object[] becauseArgs) =>
        _assertions.AtMost(_limit, _assertions.Subject.Objects(type), because, becauseArgs);

    /// <summary>Live objects of a type a test cannot name (internal to a library), by full name.</summary>
    public AndConstraint<HeapSnapshotAssertions> LiveInstancesNamed(string fullName, string because = "", params object[] becauseArgs) =>
        _assertions.AtMost(_limit, _assertions.Subject.ObjectsNamed(fullName), because, becauseArgs);
}
