using ConnectionPoolRunDry.Tests;
using UndisposedGrpcClients.Tests;

namespace KataServices;

/// <summary>A running service: where it listens, and the commands it answers.</summary>
internal interface IKataService : IAsyncDisposable
{
    Uri Address { get; }

    /// <summary>Answers one command with one line.</summary>
    string Handle(string command);
}

internal static class Services
{
    public static readonly IReadOnlyDictionary<string, Func<Task<IKataService>>> All = new Dictionary<string, Func<Task<IKataService>>>
    {
        ["secret-manager"] = async () => new SecretManager(await SecretManagerServer.StartAsync()),
        ["stock"] = async () => new Stock(await StockServer.StartAsync()),
    };

    /// <summary>
    /// Kata 03's Secret Manager. Commands: <c>set &lt;name&gt; &lt;value&gt;</c>, <c>remove &lt;name&gt;</c>,
    /// <c>stall on|off</c>, and <c>stats</c>, which answers "N open of N accepted, N calls".
    /// </summary>
    private sealed class SecretManager(SecretManagerServer server) : IKataService
    {
        public Uri Address => server.Address;

        public string Handle(string command)
        {
            var words = command.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            switch (words)
            {
                case ["set", var name, var value]:
                    server.SetSecret(name, value);
                    return "ok";
                case ["remove", var name]:
                    server.RemoveSecret(name);
                    return "ok";
                case ["stall", "on" or "off"]:
                    server.Stalled = words[1] == "on";
                    return "ok";
                case ["stats"]:
                    return $"{server.OpenConnections:N0} open of {server.TotalConnections:N0} accepted, {server.Calls:N0} calls";
                default:
                    throw new ArgumentException($"unknown command '{command}' (set <name> <value> | remove <name> | stall on|off | stats)");
            }
        }

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    /// <summary>
    /// Kata 09's stock service. Commands: <c>healthy on|off</c>, <c>stall on|off</c>, and <c>stats</c>, which answers
    /// "N open (at most N at once) of N accepted, N requests; idle after their last answer: …".
    /// </summary>
    private sealed class Stock(StockServer server) : IKataService
    {
        public Uri Address => server.Address;

        public string Handle(string command)
        {
            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words)
            {
                case ["healthy", "on" or "off"]:
                    server.Service.Healthy = words[1] == "on";
                    return "ok";
                case ["stall", "on" or "off"]:
                    server.Service.Stalled = words[1] == "on";
                    return "ok";
                case ["stats"]:
                    var service = server.Service;
                    var idle = service.IdleConnectionsByLastAnswer();
                    return $"{service.OpenConnections:N0} open (at most {service.MaxOpenConnections:N0} at once) of {service.AcceptedConnections:N0} " +
                           $"accepted, {service.Requests:N0} requests; idle after their last answer: " +
                           (idle.Count == 0 ? "none" : string.Join(", ", idle.Select(c => $"{c.Connections} × {c.LastAnswer}")));
                default:
                    throw new ArgumentException($"unknown command '{command}' (healthy on|off | stall on|off | stats)");
            }
        }

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }
}
