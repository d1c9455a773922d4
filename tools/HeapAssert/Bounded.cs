using FluentAssertions.Execution;

namespace HeapAssert;

/// <summary>
/// Runs code that may never finish (learner code can deadlock) with a time limit. On time-out the test fails with
/// <c>Timed out: …</c> instead of hanging the run; the work is asked to stop through its cancellation token.
/// </summary>
public static class Bounded
{
    /// <summary>Every time-out failure message starts with this.</summary>
    public const string Prefix = "Timed out: ";

    /// <summary>Runs <paramref name="work"/> on the thread pool and waits at most <paramref name="limit"/>.</summary>
    public static void Run(Func<CancellationToken, Task> work, TimeSpan limit, string what) =>
        Run(async token => { await work(token); return true; }, limit, what);

    /// <summary>Runs <paramref name="work"/> on the thread pool and waits at most <paramref name="limit"/> for its result.</summary>
    public static T Run<T>(Func<CancellationToken, Task<T>> work, TimeSpan limit, string what)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var cancel = new CancellationTokenSource();
        var task = Task.Run(() => work(cancel.Token), CancellationToken.None);
        if (Task.WhenAny(task, Task.Delay(limit, CancellationToken.None)).GetAwaiter().GetResult() != task)
        {
            cancel.Cancel();
            Execute.Assertion.FailWith(Prefix + what.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal) +
                $" did not finish within {limit.TotalSeconds:0.#} s. The code under test may be deadlocked or waiting for something that never comes; " +
                "this is not the memory check. Look for a missing await, a lock or a blocked write.");
        }

        return task.GetAwaiter().GetResult();
    }

    /// <summary>Runs synchronous <paramref name="work"/> on the thread pool and waits at most <paramref name="limit"/>.</summary>
    public static void Run(Action<CancellationToken> work, TimeSpan limit, string what) =>
        Run(token => { work(token); return Task.CompletedTask; }, limit, what);
}
