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
    /// <inheritdoc />
    protected override string Identifier => "heap";

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
    /// <param name="because">Why it matters, with where to find the hints.</param>
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
                pending.Add(group with { Count = group.Count - known });
            }
        }

        var knownThreads = baseline?.ThreadsIn(assembly).Select(t => t.ManagedThreadId).ToHashSet() ?? [];
        var threads = Subject.ThreadsIn(assembly).Where(t => !knownThreads.Contains(t.ManagedThreadId)).ToArray();
        if (pending.Count > 0 || threads.Length > 0)
        {
            var module = assembly.GetName().Name;
            var headline = new StringBuilder();
            var methods = pending.Sum(p => p.Count);
            if (methods > 0)
            {
                headline.Append($"{methods:N0} async method{(methods == 1 ? "" : "s")} from {module} {(methods == 1 ? "is" : "are")} still pending");
            }

            if (threads.Length > 0)
            {
                headline.Append(headline.Length > 0 ? " and " : "").Append($"{threads.Length} thread{(threads.Length == 1 ? " is" : "s are")} still inside {module} code");
            }

            var details = new StringBuilder();
            foreach (var p in pending)
            {
                details.AppendLine($"  {p}").AppendLine($"      held by: {p.HeldBy}");
            }

            foreach (var t in threads)
            {
                details.AppendLine($"  {t}");
            }

            Leak.Fail(headline.Append(", expected none").ToString(), details.ToString(), because, becauseArgs);
        }

        return new AndConstraint<HeapSnapshotAssertions>(this);
    }

    internal AndConstraint<HeapSnapshotAssertions> AtMost(int limit, ObjectSet set, string because, object[] becauseArgs)
    {
        if (set.Count > limit)
        {
            var expected = limit == 0 ? "expected none" : $"expected at most {limit:N0}";
            var path = set.ShortestPath();
            Leak.Fail($"{set}, {expected}", path is null ? "" : $"Held by: {path}", because, becauseArgs);
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
