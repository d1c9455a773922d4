using System.Globalization;
using System.Runtime.CompilerServices;
using Grpc.Core;

namespace UndisposedGrpcClients.Tests;

/// <summary>
/// The memory test's load: every path a request can take through the proxy, one after the other, and how many
/// connections each path left open on the server. The incident's load test sent about 500 requests; this sends more.
/// </summary>
internal static class Traffic
{
    public const int Succeeding = 400;        // in sequence, the signing key rotated half-way
    public const int MissingKey = 50;         // the signing key was deleted: NotFound
    public const int GivenUp = 10;            // Secret Manager is slow and the caller cancels: Cancelled
    public const int Bursts = 10;             // a fresh proxy's first requests arrive all at once ...
    public const int RequestsPerBurst = 16;   // ... on this many threads; the proxy is disposed after its burst
    public const int Concurrent = Bursts * RequestsPerBurst;
    public const int Signed = Succeeding + Concurrent;
    public const int Total = Signed + MissingKey + GivenUp;

    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(500);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task<TrafficResult> SendAsync(SecretManagerServer server, string projectId, CancellationToken cancellationToken)
    {
        using var proxy = new SchedulerProxy(server.Address, projectId);
        var paths = new List<PathResult>();
        var signed = 0;
        var notFound = 0;
        var cancelled = 0;
        var request = 0;

        async Task MeasureAsync(string path, int requests, Func<Task> send)
        {
            var openBefore = server.OpenConnections;
            await send();
            var openAfter = await server.WaitForOpenConnectionsAsync(openBefore, s_settle);
            paths.Add(new PathResult(path, requests, Math.Max(0, openAfter - openBefore)));
        }

        await MeasureAsync("succeeded", Succeeding, async () =>
        {
            for (var i = 0; i < Succeeding; i++)
            {
                var key = i < Succeeding / 2 ? "key-one" : "key-two";
                server.SetSecret(proxy.SigningKeyName, key);
                if (await SignsWithAsync(proxy, key, ++request, cancellationToken))
                {
                    signed++;
                }
            }
        });

        await MeasureAsync("failed with NotFound", MissingKey, async () =>
        {
            server.RemoveSecret(proxy.SigningKeyName);
            for (var i = 0; i < MissingKey; i++)
            {
                var failure = await FailureOfAsync(proxy, ++request, cancellationToken);
                notFound += failure == StatusCode.NotFound ? 1 : 0;
            }
        });

        await MeasureAsync("cancelled by their caller", GivenUp, async () =>
        {
            server.SetSecret(proxy.SigningKeyName, "key-two");
            server.Stalled = true;
            for (var i = 0; i < GivenUp; i++)
            {
                using var caller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                caller.CancelAfter(TimeSpan.FromMilliseconds(50));
                var failure = await FailureOfAsync(proxy, ++request, caller.Token);
                cancelled += failure == StatusCode.Cancelled ? 1 : 0;
            }
            server.Stalled = false;
        });

        await MeasureAsync($"concurrent, {RequestsPerBurst} at once on each of {Bursts} new proxies", Concurrent, async () =>
        {
            for (var burst = 0; burst < Bursts; burst++)
            {
                using var fresh = new SchedulerProxy(server.Address, projectId);
                server.SetSecret(fresh.SigningKeyName, "key-three");
                var first = request;
                request += RequestsPerBurst;
                var results = await Task.WhenAll(StartTogether(RequestsPerBurst, i => SignsWithAsync(fresh, "key-three", first + i + 1, cancellationToken)));
                signed += results.Count(ok => ok);
            }
        });

        return new TrafficResult(signed, notFound, cancelled, paths);
    }

    private static async Task<bool> SignsWithAsync(SchedulerProxy proxy, string key, int request, CancellationToken cancellationToken)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"job-{request}");
        var call = await proxy.HandleAsync(new CronRequest(name, "testing", "us-central1"), cancellationToken);
        return call.JobName.EndsWith($"/locations/us-central1/jobs/{name}", StringComparison.Ordinal)
            && call.Signature == SchedulerProxyTests.Sign(key, call.Body);
    }

    private static async Task<StatusCode?> FailureOfAsync(SchedulerProxy proxy, int request, CancellationToken cancellationToken)
    {
        try
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"job-{request}");
            await proxy.HandleAsync(new CronRequest(name, "testing", "us-central1"), cancellationToken);
            return null;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    /// <summary>
    /// Calls <paramref name="start"/> from <paramref name="count"/> threads released at the same moment, so that
    /// whatever a request does before its first await really runs concurrently.
    /// </summary>
    private static Task<T>[] StartTogether<T>(int count, Func<int, Task<T>> start)
    {
        var tasks = new Task<T>[count];
        using var ready = new CountdownEvent(count);
        using var go = new ManualResetEventSlim();
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            ready.Signal();
            go.Wait();
            tasks[i] = start(i);
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }
        ready.Wait();
        go.Set();
        foreach (var thread in threads)
        {
            thread.Join();
        }
        return tasks;
    }
}

/// <summary>What one path left behind: how many requests took it, and how many more connections were open after them.</summary>
internal sealed record PathResult(string Path, int Requests, int LeftOpen);

/// <summary>What the traffic saw: correctly signed jobs, NotFound and Cancelled failures, and each path's open connections.</summary>
internal sealed record TrafficResult(int SignedCorrectly, int NotFound, int Cancelled, IReadOnlyList<PathResult> Paths)
{
    public string Describe() =>
        "connections each kind of request left open while its proxy was still in use: "
        + string.Join(", ", Paths.Select(p => $"{p.LeftOpen} after {p.Requests} {p.Path}"));
}
