using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Cloud.SecretManager.V1;
using Grpc.Net.Client;

namespace UndisposedGrpcClients;

/// <summary>What a bot posts to the proxy: "create or update this cron job".</summary>
public sealed record CronRequest(string Name, string Type, string Location);

/// <summary>What the proxy forwards to the scheduler: the job's full name, the body, and the body's signature.</summary>
public sealed record SchedulerCall(string JobName, string Body, string Signature);

/// <summary>
/// The HTTP-facing proxy that the repository bots call. For each request it reads the signing key from
/// Secret Manager (the key is rotated without restarts, so every request reads the latest version),
/// signs the job and hands it on to the scheduler. One instance serves every request, concurrently.
/// </summary>
public sealed class SchedulerProxy : IDisposable
{
    private readonly GrpcChannel _secretManager;
    private readonly string _projectId;

    public SchedulerProxy(Uri secretManager, string projectId)
    {
        _secretManager = GrpcChannel.ForAddress(secretManager);
        _projectId = projectId;
    }

    /// <summary>The secret version that holds the signing key.</summary>
    public string SigningKeyName => $"projects/{_projectId}/secrets/scheduler-signing-key/versions/latest";

    public async Task<SchedulerCall> HandleAsync(CronRequest request, CancellationToken cancellationToken = default)
    {
        // FIXED: one channel for the proxy's lifetime: every call shares its HTTP/2 connection, closed in Dispose.
        var channel = _secretManager;
        var client = new SecretManagerService.SecretManagerServiceClient(channel);

        var secret = await client.AccessSecretVersionAsync(
            new AccessSecretVersionRequest { Name = SigningKeyName }, cancellationToken: cancellationToken);

        var jobName = $"projects/{_projectId}/locations/{request.Location}/jobs/{request.Name}";
        var body = JsonSerializer.Serialize(request);
        var signature = HMACSHA256.HashData(secret.Payload.Data.Span, Encoding.UTF8.GetBytes(body));
        return new SchedulerCall(jobName, body, Convert.ToHexString(signature));
    }

    public void Dispose()
    {
        _secretManager.Dispose();
    }
}
