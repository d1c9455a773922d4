using System.Globalization;

namespace DoubleChannelWrites.Tests;

/// <summary>
/// A batch of risk jobs and the store they read, with the answer every job must get. Job i reads hash
/// "risk:user:{i}", field "profile"; every missingEvery-th key (ids 3, 13, 23, …) is not in the store.
/// The benchmarks build their batches with this same file.
/// </summary>
internal static class ScoreBatch
{
    public static (InMemoryScoreStore Store, List<Job> Jobs) Create(int jobCount, int missingEvery)
    {
        var store = new InMemoryScoreStore();
        var jobs = new List<Job>(jobCount);
        for (var id = 0; id < jobCount; id++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"risk:user:{id}");
            if (!IsMissing(id, missingEvery))
            {
                store.HashSet(key, "profile", $$"""{"score":{{ExpectedScore(id).ToString(CultureInfo.InvariantCulture)}},"hits":3}""");
            }

            jobs.Add(new Job(id, key, "profile"));
        }

        return (store, jobs);
    }

    public static bool IsMissing(int id, int missingEvery) => missingEvery > 0 && id % missingEvery == 3;

    public static double ExpectedScore(int id) => id % 97 / 100.0;
}
