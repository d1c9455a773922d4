namespace SecretManager;

/// <summary>The gRPC status codes this library uses (values as on the wire, in the grpc-status trailer).</summary>
public enum StatusCode
{
    OK = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    NotFound = 5,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
}

/// <summary>A call ended with a grpc-status other than OK.</summary>
public sealed class RpcException(StatusCode status, string detail)
    : Exception($"Status(StatusCode=\"{status}\", Detail=\"{detail}\")")
{
    public StatusCode Status { get; } = status;

    public string Detail { get; } = detail;
}
