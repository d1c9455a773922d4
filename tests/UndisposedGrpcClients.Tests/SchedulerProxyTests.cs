using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;

namespace UndisposedGrpcClients.Tests;

public sealed class SchedulerProxyTests
{
    private const string ProjectId = "repo-automation-bots";
    private const string Hints = "hints: katas/03-undisposed-grpc-clients/README.md, section Hints";

    [Fact]
    public async Task Signs_each_job_with_the_latest_signing_key()
    {
        await using var server = await SecretManagerServer.StartAsync(TestContext.Current.CancellationToken);
        using var proxy = new SchedulerProxy(server.Address, ProjectId);
        var request = new CronRequest("HelloHTTP", "testing", "us-central1");

        var (first, second) = Bounded.Run(async cancellationToken =>
        {
            server.SetSecret(proxy.SigningKeyName, "key-one");
            var first = await proxy.HandleAsync(request, cancellationToken);
            server.SetSecret(proxy.SigningKeyName, "key-two");
            return (first, await proxy.HandleAsync(request, cancellationToken));
        }, TimeSpan.FromSeconds(20), "Two requests through SchedulerProxy");

        first.JobName.Should().Be($"projects/{ProjectId}/locations/us-central1/jobs/HelloHTTP");
        first.Body.Should().Contain("HelloHTTP").And.Contain("testing");
        first.Signature.Should().Be(Sign("key-one", first.Body));
        second.Signature.Should().Be(Sign("key-two", second.Body), "a rotated key is used from the next request on");
        server.Calls.Should().Be(2);
    }

    [Fact]
    public async Task Serves_concurrent_requests()
    {
        await using var server = await SecretManagerServer.StartAsync(TestContext.Current.CancellationToken);
        using var proxy = new SchedulerProxy(server.Address, ProjectId);
        server.SetSecret(proxy.SigningKeyName, "key-one");

        var calls = Bounded.Run(
            cancellationToken => Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
                proxy.HandleAsync(new CronRequest($"job-{i}", "testing", "europe-west1"), cancellationToken))),
            TimeSpan.FromSeconds(20),
            "50 concurrent requests through SchedulerProxy");

        calls.Select(c => c.JobName).Should().OnlyHaveUniqueItems().And.HaveCount(50);
        calls.Should().OnlyContain(c => c.Signature == Sign("key-one", c.Body));
        server.Calls.Should().Be(50);
    }

    [Fact]
    public async Task A_missing_signing_key_fails_the_request_with_NotFound()
    {
        await using var server = await SecretManagerServer.StartAsync(TestContext.Current.CancellationToken);
        using var proxy = new SchedulerProxy(server.Address, ProjectId);

        var failure = Bounded.Run(
            cancellationToken => CatchAsync(proxy.HandleAsync(new CronRequest("HelloHTTP", "testing", "us-central1"), cancellationToken)),
            TimeSpan.FromSeconds(20),
            "A request through SchedulerProxy");

        failure.Should().NotBeNull("Secret Manager has no such key");
        failure!.StatusCode.Should().Be(StatusCode.NotFound);
        failure.Status.Detail.Should().Contain(proxy.SigningKeyName);
    }

    [Fact]
    public async Task A_request_the_caller_gives_up_on_is_cancelled()
    {
        await using var server = await SecretManagerServer.StartAsync(TestContext.Current.CancellationToken);
        using var proxy = new SchedulerProxy(server.Address, ProjectId);
        server.SetSecret(proxy.SigningKeyName, "key-one");
        server.Stalled = true;

        var failure = Bounded.Run(async cancellationToken =>
        {
            using var caller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            caller.CancelAfter(TimeSpan.FromMilliseconds(100));
            return await CatchAsync(proxy.HandleAsync(new CronRequest("HelloHTTP", "testing", "us-central1"), caller.Token));
        }, TimeSpan.FromSeconds(20), "A request through SchedulerProxy that its caller cancels");

        failure.Should().NotBeNull("the caller cancelled the request while Secret Manager was still working on it");
        failure!.StatusCode.Should().Be(StatusCode.Cancelled);
    }

    [Fact]
    [Trait("Memory", "leak")]
    public async Task Connections_to_Secret_Manager_do_not_pile_up()
    {
        // Start on a fresh stack: the test that ran before may still be on this thread's stack, with its locals.
        await Task.Yield();
        await using var server = await SecretManagerServer.StartAsync(TestContext.Current.CancellationToken);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var traffic = Bounded.Run(
            cancellationToken => Traffic.SendAsync(server, ProjectId, cancellationToken),
            TimeSpan.FromSeconds(90),
            $"Sending {Traffic.Total} requests through SchedulerProxy");

        // The work must be done right, on every path a request can take.
        traffic.SignedCorrectly.Should().Be(
            Traffic.Signed,
            "every job must carry the signature of the key that was current when it was handled");
        traffic.NotFound.Should().Be(Traffic.MissingKey, "a request that finds no signing key must fail with NotFound");
        traffic.Cancelled.Should().Be(Traffic.GivenUp, "a request whose caller gives up must fail with Cancelled");
        server.Calls.Should().Be(
            Traffic.Signed,
            "the key is rotated without restarts, so every request must read the latest version");

        // Every proxy has been disposed. Closing a socket takes the server a moment to notice: give it a bounded wait.
        var open = await server.WaitForOpenConnectionsAsync(0, TimeSpan.FromSeconds(2));
        var grownMegabytes = (GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / (1024.0 * 1024.0);

        Heap.Check(heap =>
        {
            var connections = heap.ObjectsNamed("System.Net.Http.Http2Connection");
            heap.Should().HaveNoLiveInstancesOf<GrpcChannel>(
                because: $"every SchedulerProxy has been disposed, and a proxy needs one channel for its whole life, not one " +
                         $"per request. After {Traffic.Total} requests, the channels still alive each own a SocketsHttpHandler " +
                         $"({heap.Objects<SocketsHttpHandler>().Count} live) and an HTTP/2 connection ({connections.Count} live " +
                         $"Http2Connection, {connections.Bytes / 1024.0:0.0} KB for those objects alone). An open connection " +
                         "keeps a read pending on its socket; that read reaches the connection and, through Grpc.Net.Client's " +
                         "connection manager, the channel itself, so the garbage collector can take none of them: only Dispose " +
                         "closes them. The server still counts " +
                         $"{open} of the {server.TotalConnections} connections it accepted as open ({traffic.Describe()}), and the " +
                         $"heap grew by {grownMegabytes:0.0} MB, both ends of every connection being in this process ({Hints})");
        });

        if (open > 0)
        {
            Leak.Fail(
                $"{open:N0} connections to Secret Manager still open after {Traffic.Total:N0} requests, expected none",
                $"The server accepted {server.TotalConnections:N0} connections in all ({traffic.Describe()}). Each one " +
                "still open belongs to a channel nobody disposed, and keeps a socket and its buffers on both sides.",
                because: $"every proxy has been disposed, and a proxy needs one connection to Secret Manager, not one per request ({Hints})");
        }
    }

    private static async Task<RpcException?> CatchAsync(Task<SchedulerCall> call)
    {
        try
        {
            await call;
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    internal static string Sign(string key, string body) =>
        Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(body)));
}
