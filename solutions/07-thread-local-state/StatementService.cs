namespace ThreadLocalState;

/// <summary>
/// Serves account statements. Requests run on thread-pool threads, many at a time, one thread per request while it
/// runs. The caller's context is kept where the code deep inside the request can reach it without a parameter.
/// </summary>
public sealed class StatementService
{
    // FIXED: the context flows with the request, not the thread (AsyncLocal), and Handle puts back what was there
    // before when the request ends, whether it returns or throws.
    private static readonly AsyncLocal<RequestContext?> s_request = new();

    /// <summary>The context of the request running on this thread, or null for an anonymous request.</summary>
    internal static RequestContext? CurrentRequest => s_request.Value;

    /// <summary>Renders the statement of one account for the caller of the request.</summary>
    /// <exception cref="AccountClosedException">The account is closed.</exception>
    public Statement Handle(StatementRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        var previous = s_request.Value;
        s_request.Value = request.UserId is null ? null : new RequestContext(request.UserId);
        try
        {
            return StatementRenderer.Render(request.AccountId);
        }
        finally
        {
            s_request.Value = previous;
        }
    }
}
