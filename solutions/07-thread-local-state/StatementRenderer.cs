using System.Globalization;
using System.Text;

namespace ThreadLocalState;

/// <summary>
/// Renders a statement deep inside the request, far from where the request came in. It does not take the caller as a
/// parameter: it reads the current request's context, as the code that renders, audits and logs does all over the service.
/// </summary>
internal static class StatementRenderer
{
    public const string Anonymous = "anonymous";

    /// <summary>Who owns an account: "acct-17" belongs to "user-17". The fake of the accounts database.</summary>
    public static string OwnerOf(string accountId) => "user-" + accountId[(accountId.IndexOf('-', StringComparison.Ordinal) + 1)..];

    public static Statement Render(string accountId)
    {
        // Loading the account's transactions is a database call: a millisecond in which other requests run.
        Thread.Sleep(1);

        if (accountId.StartsWith("closed-", StringComparison.Ordinal))
        {
            throw new AccountClosedException(accountId);
        }

        var context = StatementService.CurrentRequest;
        var viewer = context?.UserId ?? Anonymous;
        var text = viewer == OwnerOf(accountId)
            ? string.Create(CultureInfo.InvariantCulture, $"Statement for {accountId}: balance {accountId.Length * 125.5m:N2} EUR")
            : $"Statement for {accountId}: sign in as the owner to see the balance";

        if (context is null)
        {
            return new Statement(accountId, viewer, text);
        }

        var length = Encoding.UTF8.GetBytes(text, context.RenderBuffer);
        return new Statement(accountId, viewer, Encoding.UTF8.GetString(context.RenderBuffer, 0, length));
    }
}
