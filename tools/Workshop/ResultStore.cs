using System.Text.Json;

namespace Workshop;

/// <summary>
/// The last result of each kata, in <c>.workshop/results/NN-name.json</c>, with the fingerprint of the files it was
/// built from: <c>progress</c> reuses it only while that fingerprint still holds.
/// </summary>
public sealed class ResultStore(string stateDirectory)
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    private string PathOf(string kata) => Path.Combine(stateDirectory, "results", kata + ".json");

    public CheckResult? Find(string kata, string fingerprint)
    {
        var saved = Load(kata);
        return saved is not null && saved.Fingerprint == fingerprint ? saved.Result : null;
    }

    public void Save(string kata, string fingerprint, CheckResult result) =>
        State.WriteAtomically(PathOf(kata), JsonSerializer.Serialize(new SavedResult(fingerprint, result), Options) + "\n");

    private SavedResult? Load(string kata)
    {
        var path = PathOf(kata);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<SavedResult>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            return null; // written by another version of the companion: check again
        }
    }

    private sealed record SavedResult(string Fingerprint, CheckResult Result);
}
