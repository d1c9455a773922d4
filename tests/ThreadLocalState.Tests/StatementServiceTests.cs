using System.Globalization;
using System.Runtime.CompilerServices;

namespace ThreadLocalState.Tests;

public sealed class StatementServiceTests
{
    // The numbers stated in katas/07-thread-local-state/README.md, section "Your task".
    private const int Requests = 4_000;
    private const int Workers = 8;
    private const int ClosingBurst = 200;

    [Fact]
    public void The_owner_sees_the_balance()
    {
        var statement = OnFreshThread(() => new StatementService().Handle(new StatementRequest("user-17", "acct-17")));

        statement.Viewer.Should().Be("user-17", "the statement must be rendered for the user who asked for it");
        statement.Body.Should().Contain("balance 878.50 EUR", "user-17 owns acct-17 and must see its balance");
    }

    [Fact]
    public void Another_user_does_not_see_the_balance()
    {
        var statement = OnFreshThread(() => new StatementService().Handle(new StatementRequest("user-4", "acct-17")));

        statement.Viewer.Should().Be("user-4", "the statement must be rendered for the user who asked for it");
        statement.Body.Should().NotContain("EUR", "user-4 does not own acct-17 and must not see its balance");
    }

    [Fact]
    public void An_anonymous_caller_does_not_see_the_balance()
    {
        var statement = OnFreshThread(() => new StatementService().Handle(new StatementRequest(null, "acct-17")));

        statement.Viewer.Should().Be("anonymous", "a request from nobody signed in must be rendered for \"anonymous\"");
        statement.Body.Should().NotContain("EUR", "an anonymous caller must not see the balance of any account");
    }

    [Fact]
    public void A_closed_account_fails_the_request()
    {
        var handle = () => OnFreshThread(() => new StatementService().Handle(new StatementRequest("user-9", "closed-9")));

        handle.Should().Throw<AccountClosedException>("a request for a closed account must fail")
            .Which.AccountId.Should().Be("closed-9", "the failure must name the closed account");
    }

    [Fact]
    [Trait("Memory", "leak")]
    public void No_request_state_outlives_its_request_or_reaches_another_request()
    {
        var traffic = Bounded.Run(
            SendRequestsAsync,
            TimeSpan.FromSeconds(60),
            $"{Requests:N0} statement requests from 50 users, anonymous callers and closed accounts, on {Workers} workers");

        var work = $"{Requests + ClosingBurst:N0} statement requests on {Workers} workers, all ended";
        Heap.Check(after =>
        {
            var buffers = after.Objects<RequestContext>().Count * (long)RequestContext.BufferSize;
            after.Should().After(work).HaveNoLiveInstancesOf<RequestContext>(
                because: $"a request's context is of no use once its request has ended, yet they keep {buffers / 1024:N0} KB "
                    + $"of render buffers ({RequestContext.BufferSize / 1024} KB each) alive"
                    + (traffic.Bled > 0 ? $", and {traffic.Bled:N0} requests were rendered for a user who did not send them" : ""));
        });

        if (traffic.Bled > 0)
        {
            Leak.Fail(
                $"{traffic.Bled:N0} of {Requests:N0} requests were rendered for a user who did not send them, expected none",
                "First one: " + traffic.FirstBleed,
                "a request should only ever see its own caller: an anonymous request sees no user, a signed-in one sees "
                    + "itself, whatever ran on the thread before it");
        }

        // The work must be done right: every request was answered, closed accounts failed as they should.
        traffic.Answered.Should().Be(Requests + ClosingBurst - traffic.ClosedAccounts, "every request for an open account must get its statement");
        traffic.Failed.Should().Be(traffic.ClosedAccounts, "every request for a closed account must fail with AccountClosedException");
    }

    /// <summary>
    /// Sends <see cref="Requests"/> requests on <see cref="Workers"/> thread-pool workers: three in four from one of 50
    /// signed-in users (one in ten of those for a closed account, which fails), one in four anonymous. Then a burst of
    /// <see cref="ClosingBurst"/> requests that all fail.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task<TrafficResult> SendRequestsAsync(CancellationToken cancellationToken) => Task.Run(() =>
    {
        var service = new StatementService();
        int answered = 0, failed = 0, closed = 0, bled = 0;
        string? firstBleed = null;

        var options = new ParallelOptions { MaxDegreeOfParallelism = Workers, CancellationToken = cancellationToken };
        Parallel.For(0, Requests, options, i =>
        {
            var user = i % 4 == 3 ? null : string.Create(CultureInfo.InvariantCulture, $"user-{i % 50}");
            var account = user is not null && i % 10 == 0
                ? string.Create(CultureInfo.InvariantCulture, $"closed-{i}")
                : string.Create(CultureInfo.InvariantCulture, $"acct-{i % 50}");
            if (account.StartsWith("closed-", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref closed);
            }

            try
            {
                var statement = service.Handle(new StatementRequest(user, account));
                Interlocked.Increment(ref answered);
                var expected = user ?? "anonymous";
                if (statement.Viewer != expected)
                {
                    Interlocked.Increment(ref bled);
                    Interlocked.CompareExchange(
                        ref firstBleed,
                        $"a request from {expected} for {account} was rendered for {statement.Viewer}: \"{statement.Body}\"",
                        null);
                }
            }
            catch (AccountClosedException)
            {
                Interlocked.Increment(ref failed);
            }
        });

        // The run ends as a busy day can: a burst of requests that all fail (a batch job asking for closed accounts).
        Parallel.For(0, ClosingBurst, options, i =>
        {
            Interlocked.Increment(ref closed);
            try
            {
                service.Handle(new StatementRequest(
                    string.Create(CultureInfo.InvariantCulture, $"user-{i % 50}"),
                    string.Create(CultureInfo.InvariantCulture, $"closed-burst-{i}")));
                Interlocked.Increment(ref answered);
            }
            catch (AccountClosedException)
            {
                Interlocked.Increment(ref failed);
            }
        });

        return new TrafficResult(answered, failed, closed, bled, firstBleed ?? "");
    }, cancellationToken);

    private static T OnFreshThread<T>(Func<T> work)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return failure is null ? result! : throw failure;
    }

    /// <summary>What the traffic saw: answers, failures, requests for closed accounts, and requests rendered for someone else.</summary>
    private sealed record TrafficResult(int Answered, int Failed, int ClosedAccounts, int Bled, string FirstBleed);
}
