using System.Runtime.CompilerServices;
using HeapAssert.DotMemoryStyle;

namespace UndisposedGrpcClients.Tests;

/// <summary>
/// The kata's memory check as a dotMemory Unit test, ported by one <c>using</c>: it runs under a plain <c>dotnet test</c>.
/// The connection type is internal to System.Net.Http, so it is matched by name.
/// </summary>
public sealed class DotMemoryStyleTests
{
    private const int Requests = 500;

    [Fact]
    [Trait("Memory", "leak")]
    [DotMemoryUnit(FailIfRunWithoutSupport = true)]
    public async Task Connections_to_Secret_Manager_do_not_pile_up()
    {
        await using var server = await SecretManagerServer.StartAsync(TestContext.Current.CancellationToken);
        using var proxy = new SchedulerProxy(server.Address, "repo-automation-bots");
        server.SetSecret(proxy.SigningKeyName, "signing-key-1");

        var handled = SendRequests(proxy);

        // The server and the proxy are still alive: what is open now is what a running service keeps open.
        dotMemory.Check(memory =>
            Assert.True(memory.GetObjects(where => where.Type.Like("System.Net.Http.Http2Connection")).ObjectsCount <= 2,
                $"at most 2 Http2Connection may be alive after {Requests} requests through one proxy that is still in use"));

        handled.Should().Be(Requests, "each of the {0} requests must be handled", Requests);
    }

    /// <summary>Sends the requests in its own frame, so nothing they created is held by the test's locals.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SendRequests(SchedulerProxy proxy) =>
        Bounded.Run(async cancellationToken =>
        {
            for (var i = 0; i < Requests; i++)
            {
                await proxy.HandleAsync(new CronRequest($"job-{i}", "testing", "us-central1"), cancellationToken);
            }

            return Requests;
        }, TimeSpan.FromSeconds(60), $"{Requests} requests through SchedulerProxy");
}
