namespace ThreadLocalState;

/// <summary>One request for an account statement. <see cref="UserId"/> is null for an anonymous (signed-out) caller.</summary>
public sealed record StatementRequest(string? UserId, string AccountId);

/// <summary>A rendered statement: the account, who it was rendered for, and the text the caller sees.</summary>
public sealed record Statement(string AccountId, string Viewer, string Body);

/// <summary>Thrown for an account that has been closed: the request fails and the caller gets an error page.</summary>
public sealed class AccountClosedException(string accountId) : Exception($"Account {accountId} is closed.")
{
    public string AccountId { get; } = accountId;
}

/// <summary>
/// What the service keeps for one request while it runs: who is asking, and a scratch buffer to render into. Statements
/// run to many pages, so the buffer is large: 64 KB.
/// </summary>
public sealed class RequestContext(string userId)
{
    public const int BufferSize = 64 * 1024;

    public string UserId { get; } = userId;

    public byte[] RenderBuffer { get; } = new byte[BufferSize];
}
