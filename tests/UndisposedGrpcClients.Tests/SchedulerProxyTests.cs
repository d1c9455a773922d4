using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using SecretManager;

namespace UndisposedGrpcClients.Tests;

public sealed class SchedulerProxyTests
{
    private const string ProjectId = "repo-automation-bots";
    private const int Requests = 500; // as many as the incident's load test sent
    private const int RotateKeyAt = 250;
    private const int MaxOpenConnections = 2;
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

        var failure = Bounded.Run(async cancellationToken =>
        {
            try
            {
                await proxy.HandleAsync(new CronRequest("HelloHTTP", "testing", "us-central1"), cancellationToken);
                return null;
            }
            catch (RpcException e)
            {
                return e;
            }
        }, TimeSpan.FromSeconds(20), "A request through SchedulerProxy");

        failure.Should().NotBeNull("Secret Manager has no such key");
        failure!.Status.Should().Be(StatusCode.NotFound);
        failure.Detail.Should().Contain(proxy.SigningKeyName);
    }

    [Fact]
    [Trait("Memory", "leak")]
    public async Task Connections_to_Secret_Manager_do_not_pile_up()
    {
        await using var server = await SecretManagerServer.StartAsync(TestContext.Current.CancellationToken);
        using var proxy = new SchedulerProxy(server.Address, ProjectId);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var signedCorrectly = Bounded.Run(
            cancellationToken => SendRequestsAsync(proxy, server, cancellationToken),
            TimeSpan.FromSeconds(60),
            $"Sending {Requests} requests through SchedulerProxy");

        signedCorrectly.Should().Be(Requests, "every job must carry the signature of the key that was current when it was handled");
        server.Calls.Should().Be(Requests, "the key is rotated without restarts, so every request must read the latest version");

        // Closing a socket takes the server a moment to notice: give it a short, bounded wait.
        var open = await server.WaitForOpenConnectionsAsync(MaxOpenConnections, TimeSpan.FromSeconds(2));
        var grownMegabytes = (GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / (1024.0 * 1024.0);

        Heap.Check(heap => heap.Should().HaveAtMost(MaxOpenConnections).LiveInstancesNamed(
            "System.Net.Http.Http2Connection",
            because: $"one SchedulerProxy served {Requests} requests and a connection outlived each of them. " +
                     $"{heap.Objects<SecretManagerServiceClient>().Count} of the {Requests} SecretManagerServiceClient objects " +
                     "are still alive, yet the connections they opened live on: each one's pending socket read keeps it, " +
                     $"its pool and its buffers reachable. The server still counts {open} of the {server.TotalConnections} " +
                     $"connections it accepted as open, and the heap grew by {grownMegabytes:0.0} MB (both ends of every " +
                     $"connection are in this process) ({Hints})"));

        if (open > MaxOpenConnections)
        {
            Leak.Fail(
                $"{open:N0} connections to Secret Manager still open after {Requests:N0} requests, expected at most {MaxOpenConnections}",
                $"The server accepted {server.TotalConnections:N0} connections in all; each one that is still open " +
                "belongs to a client nobody disposed, and keeps a socket and its buffers on both sides.",
                because: $"a proxy needs one connection to Secret Manager, not one per request ({Hints})");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> SendRequestsAsync(SchedulerProxy proxy, SecretManagerServer server, CancellationToken cancellationToken)
    {
        var signedCorrectly = 0;
        for (var i = 0; i < Requests; i++)
        {
            var key = i < RotateKeyAt ? "key-one" : "key-two";
            server.SetSecret(proxy.SigningKeyName, key);
            var call = await proxy.HandleAsync(new CronRequest($"job-{i}", "testing", "us-central1"), cancellationToken);
            if (call.JobName == $"projects/{ProjectId}/locations/us-central1/jobs/job-{i}" && call.Signature == Sign(key, call.Body))
            {
                signedCorrectly++;
            }
        }
        return signedCorrectly;
    }

    private static string Sign(string key, string body) =>
        Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(body)));
}
