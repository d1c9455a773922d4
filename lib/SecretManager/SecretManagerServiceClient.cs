using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace SecretManager;

/// <summary>
/// A Secret Manager client over gRPC (HTTP/2). Like a <c>GrpcChannel</c>, each client owns its own
/// <see cref="SocketsHttpHandler"/>: its connection pool, its TCP socket and its HTTP/2 connection.
/// Calls on one client are thread-safe and share that connection.
/// Dispose the client when you are done with it; better still, create one and reuse it for the
/// lifetime of your application.
/// </summary>
public sealed class SecretManagerServiceClient : IDisposable
{
    private const string AccessSecretVersionPath = "/secretmanager.v1.SecretManagerService/AccessSecretVersion";

    private readonly HttpClient _http;

    private SecretManagerServiceClient(HttpClient http) => _http = http;

    /// <summary>Creates a client for a plaintext (h2c) endpoint such as http://127.0.0.1:5000.</summary>
    public static SecretManagerServiceClient Create(Uri address)
    {
        var handler = new SocketsHttpHandler
        {
            // The framework's default, written out: a pooled connection that has been idle this long is closed.
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            // What GrpcChannel does: open another HTTP/2 connection when the first one runs out of streams.
            EnableMultipleHttp2Connections = true,
        };
        var http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = address,
            Timeout = Timeout.InfiniteTimeSpan, // deadlines come from the caller's CancellationToken
        };
        return new SecretManagerServiceClient(http);
    }

    public async Task<AccessSecretVersionResponse> AccessSecretVersionAsync(
        AccessSecretVersionRequest request, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, AccessSecretVersionPath)
        {
            Version = HttpVersion.Version20, // SendAsync does not apply the HttpClient's defaults
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(GrpcFrame.Encode(request)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        message.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));

        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new RpcException(StatusCode.Unavailable, $"HTTP status {(int)response.StatusCode} from {_http.BaseAddress}");
        }

        // The trailers arrive after the last DATA frame: read the body to its end first.
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var body = await GrpcFrame.ReadBodyAsync(stream, cancellationToken);

        var (status, detail) = ReadStatus(response);
        if (status != StatusCode.OK)
        {
            throw new RpcException(status, detail);
        }
        return GrpcFrame.Decode(body, AccessSecretVersionResponse.Parser);
    }

    public void Dispose() => _http.Dispose();

    private static (StatusCode Status, string Detail) ReadStatus(HttpResponseMessage response)
    {
        // Usually in the trailers; a "Trailers-Only" error response carries it in the headers instead.
        if (!response.TrailingHeaders.TryGetValues("grpc-status", out var status)
            && !response.Headers.TryGetValues("grpc-status", out status))
        {
            return (StatusCode.Internal, "The response carried no grpc-status.");
        }
        var detail = response.TrailingHeaders.TryGetValues("grpc-message", out var message)
            || response.Headers.TryGetValues("grpc-message", out message)
            ? Uri.UnescapeDataString(message.First())
            : "";
        return ((StatusCode)int.Parse(status.First(), CultureInfo.InvariantCulture), detail);
    }
}
