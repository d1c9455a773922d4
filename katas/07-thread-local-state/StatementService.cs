namespace ThreadLocalState;

/// <summary>
/// Serves account statements. Requests run on thread-pool threads, many at a time, one thread per request while it
/// runs. The caller's context is kept where the code deep inside the request can reach it without a parameter.
/// </summary>
public sealed class StatementService
{
    // KATA: one slot per thread, filled at the start of a request. Pool threads serve request after request.
    private static readonly ThreadLocal<RequestContext?> s_request = new();

    /// <summary>The context of the request running on this thread, or null for an anonymous request.</summary>
    internal static RequestContext? CurrentRequest => s_request.Value;

    /// <summary>Renders the statement of one account for the caller of the request.</summary>
    /// <exception cref="AccountClosedException">The account is closed.</exception>
    public Statement Handle(StatementRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        if (request.UserId is not null)
        {
            s_request.Value = new RequestContext(request.UserId);
        }

        return StatementRenderer.Render(request.AccountId);
    }
}
