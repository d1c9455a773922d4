using System.Collections.Concurrent;

namespace DoubleChannelWrites;

/// <summary>
/// The part of the Redis client the job runner uses. Like the helper in the original service,
/// a key or field that does not exist reads as an empty string, not as an error.
/// </summary>
public interface IScoreStore
{
    Task<string> HashGetAsync(string key, string field);
}

/// <summary>An in-memory stand-in for Redis: hashes of JSON documents.</summary>
public sealed class InMemoryScoreStore : IScoreStore
{
    private readonly ConcurrentDictionary<(string Key, string Field), string> _hashes = new();

    public void HashSet(string key, string field, string json) => _hashes[(key, field)] = json;

    public async Task<string> HashGetAsync(string key, string field)
    {
        await Task.Yield(); // a network round trip, in miniature
        return _hashes.TryGetValue((key, field), out var json) ? json : string.Empty;
    }
}
