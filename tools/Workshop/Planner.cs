namespace Workshop;

/// <summary>Puts every kata in a state from what is known without running anything: git, the saved results, the hint counts.</summary>
public sealed class Planner(WorkshopRoot root)
{
    public async Task<IReadOnlyList<KataProgress>> LookAsync(bool ignoreSavedResults, CancellationToken cancellationToken)
    {
        var git = await Git.OpenAsync(root, cancellationToken);
        var changed = git is null ? null : await git.ChangedKatasAsync(cancellationToken);
        var mode = Modes.Effective(root.StateDirectory, Environment.GetEnvironmentVariable(Modes.EnvironmentVariable)).Mode;
        var results = new ResultStore(root.StateDirectory);
        var hints = new HintLedger(root.StateDirectory);
        var progress = new List<KataProgress>();
        foreach (var kata in root.Katas)
        {
            var shown = hints.Shown(kata.Name);
            var total = HintParser.Load(kata).Hints.Count;
            if (kata.TestProject is null)
            {
                progress.Add(new KataProgress(kata, KataState.Unknown, "no tests yet", shown, total));
            }
            else if (changed is not null && !changed.Contains(kata.Name))
            {
                progress.Add(new KataProgress(kata, KataState.NotStarted, "not started", shown, total));
            }
            else if (!ignoreSavedResults && results.Find(kata.Name, Fingerprint.Of(root, kata, mode)) is { } saved)
            {
                var (state, detail) = ProgressLogic.StateOf(saved);
                progress.Add(new KataProgress(kata, state, detail, shown, total));
            }
            else
            {
                progress.Add(new KataProgress(kata, KataState.Unchecked, "changed, not checked yet", shown, total));
            }
        }

        return progress;
    }

    /// <summary>The kata a verb without one means: the one in progress, else the first not started, else the first.</summary>
    public async Task<Kata> CurrentAsync(CancellationToken cancellationToken)
    {
        if (root.Katas.Count == 0)
        {
            throw new WorkshopException("This repository has no katas/NN-name folder.");
        }

        return ProgressLogic.Next(await LookAsync(ignoreSavedResults: false, cancellationToken)) ?? root.Katas[0];
    }
}
