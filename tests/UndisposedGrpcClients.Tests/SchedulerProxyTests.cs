using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;

namespace UndisposedGrpcClients.Tests;

public sealed class SchedulerProxyTests
{
    private const string ProjectId = "repo-automation-bots";

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

        first.JobName.Should().Be($"projects/{ProjectId}/locations/us-central1/jobs/HelloHTTP",
            "the scheduler call must name the job by project, location and name");
        first.Body.Should().Contain("HelloHTTP", "the body forwarded to the scheduler must carry the job's name")
            .And.Contain("testing", "the body forwarded to the scheduler must carry the job's type");
        first.Signature.Should().Be(Sign("key-one", first.Body), "the first job must be signed with the key current when it was handled");
        second.Signature.Should().Be(Sign("key-two", second.Body), "a rotated key must be used from the next request on");
        server.Calls.Should().Be(2, "each of the 2 requests must read the signing key from Secret Manager");
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

        calls.Select(c => c.JobName).Should().OnlyHaveUniqueItems("each of the 50 concurrent requests must get its own job's call")
            .And.HaveCount(50, "each of the 50 concurrent requests must get a scheduler call");
        calls.Should().OnlyContain(c => c.Signature == Sign("key-one", c.Body), "every job must be signed with the current key");
        server.Calls.Should().Be(50, "each of the 50 requests must read the signing key from Secret Manager");
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

        failure.Should().NotBeNull("a request whose signing key is not in Secret Manager must fail");
        failure!.StatusCode.Should().Be(StatusCode.NotFound, "the request must fail with the status Secret Manager answered with");
        failure.Status.Detail.Should().Contain(proxy.SigningKeyName, "the failure must name the secret that was not found");
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
        failure!.StatusCode.Should().Be(StatusCode.Cancelled, "a request its caller gives up on must fail with Cancelled");
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

        var work = $"{Traffic.Total} requests through proxies that were then all disposed";
        Heap.Check(heap =>
        {
            var connections = heap.ObjectsNamed("System.Net.Http.Http2Connection");
            heap.Should().After($"{work}, with the heap {grownMegabytes:0.0} MB larger than before them").HaveNoLiveInstancesOf<GrpcChannel>(
                because: "nothing a disposed proxy used to reach Secret Manager should still be alive, yet the channels still " +
                         $"alive each own a SocketsHttpHandler ({heap.Objects<SocketsHttpHandler>().Count} live) and an HTTP/2 " +
                         $"connection ({connections.Count} live Http2Connection, {connections.Bytes / 1024.0:0.0} KB for those " +
                         "objects alone). An open connection keeps a read pending on its socket; that read reaches the " +
                         "connection and, through Grpc.Net.Client's connection manager, the channel itself, so the garbage " +
                         $"collector can take none of them. The server still counts {open} of the {server.TotalConnections} " +
                         $"connections it accepted as open ({traffic.Describe()}); both ends of every connection are in this " +
                         "process, so the heap holds both");
        });

        if (open > 0)
        {
            Leak.Fail(
                $"{open:N0} connections to Secret Manager still open after {work}, expected none",
                $"The server accepted {server.TotalConnections:N0} connections in all ({traffic.Describe()}). Each one " +
                "still open belongs to a channel that is still alive, and keeps a socket and its buffers on both sides.",
                because: "a disposed proxy should leave no connection to Secret Manager behind");
        }
    }

    [Fact]
    public async Task Disposing_a_proxy_twice_is_harmless()
    {
        await using var server = await SecretManagerServer.StartAsync(TestContext.Current.CancellationToken);
        var proxy = new SchedulerProxy(server.Address, ProjectId);
        server.SetSecret(proxy.SigningKeyName, "key-one");
        Bounded.Run(
            cancellationToken => proxy.HandleAsync(new CronRequest("HelloHTTP", "testing", "us-central1"), cancellationToken),
            TimeSpan.FromSeconds(20),
            "A request through SchedulerProxy");

        proxy.Dispose();
        var again = proxy.Invoking(p => p.Dispose());

        again.Should().NotThrow("Dispose may be called more than once, as on any IDisposable: a `using` and an owner that "
            + "disposes what it holds can both dispose the same proxy");
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
