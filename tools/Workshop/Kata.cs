namespace Workshop;

/// <summary>
/// One kata: the folder <c>katas/NN-name</c> that the learner edits, the title from its README, and the test project
/// whose csproj names it with <c>&lt;Kata&gt;NN-name&lt;/Kata&gt;</c> (null while a kata has no tests yet).
/// </summary>
public sealed record Kata(string Id, int Number, string Name, string Title, string Directory, string? TestProject)
{
    /// <summary><c>02 · Double channel writes</c>.</summary>
    public string Label => $"{Id} · {Title}";

    /// <summary><c>katas/02-double-channel-writes</c>, as a learner types it.</summary>
    public string RelativeDirectory => $"katas/{Name}";
}

/// <summary>A mistake the learner can fix (an unknown kata, a missing answer): printed as a sentence, never as a stack trace.</summary>
public sealed class WorkshopException(string message) : Exception(message);
