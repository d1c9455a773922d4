namespace Workshop;

/// <summary>
/// What git knows about the katas: which ones the learner changed since the workshop's own version (the commit the
/// learner's branch grew from), and how to put one back.
/// </summary>
public sealed class Git
{
    private readonly WorkshopRoot _root;

    private Git(WorkshopRoot root, string baseline)
    {
        _root = root;
        Baseline = baseline;
    }

    /// <summary>
    /// The workshop as cloned: where HEAD and the clone's origin meet (so a learner who commits a fix still has it counted
    /// as a change), or HEAD when there is no origin.
    /// </summary>
    public string Baseline { get; }

    /// <summary>The repository's git, or null where there is none (a downloaded archive, no git installed).</summary>
    public static async Task<Git?> OpenAsync(WorkshopRoot root, CancellationToken cancellationToken)
    {
        try
        {
            var head = await RunAsync(root, ["rev-parse", "--verify", "-q", "HEAD"], cancellationToken);
            if (head.ExitCode != 0)
            {
                return null;
            }

            var origin = await RunAsync(root, ["merge-base", "HEAD", "refs/remotes/origin/HEAD"], cancellationToken);
            return new Git(root, origin.ExitCode == 0 && origin.Output.Trim().Length > 0 ? origin.Output.Trim() : head.Output.Trim());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on PATH
        }
    }

    /// <summary>The kata folders (<c>02-double-channel-writes</c>) with a changed, added or deleted file since <see cref="Baseline"/>.</summary>
    public async Task<IReadOnlySet<string>> ChangedKatasAsync(CancellationToken cancellationToken)
    {
        var changed = await RunAsync(_root, ["diff", "--name-only", "--no-renames", Baseline, "--", "katas"], cancellationToken);
        var added = await RunAsync(_root, ["ls-files", "--others", "--exclude-standard", "--", "katas"], cancellationToken);
        return changed.Output.Split('\n').Concat(added.Output.Split('\n'))
            .Select(l => l.Trim().Split('/'))
            .Where(p => p.Length >= 3 && p[0] == "katas" && KataFiles.IsRelevant(string.Join('/', p[2..])))
            .Select(p => p[1])
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary><c>git status --short</c> of one kata's folder: what a reset would throw away.</summary>
    public async Task<IReadOnlyList<string>> StatusAsync(Kata kata, CancellationToken cancellationToken)
    {
        var diff = await RunAsync(_root, ["diff", "--name-status", "--no-renames", Baseline, "--", kata.RelativeDirectory], cancellationToken);
        var added = await RunAsync(_root, ["ls-files", "--others", "--exclude-standard", "--", kata.RelativeDirectory], cancellationToken);
        return [.. diff.Output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)
            .Concat(added.Output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => "?\t" + l))];
    }

    /// <summary>Puts the kata's folder back as <see cref="Baseline"/> has it: changed files restored, added ones deleted.</summary>
    public async Task RestoreAsync(Kata kata, CancellationToken cancellationToken)
    {
        var restore = await RunAsync(_root, ["restore", $"--source={Baseline}", "--staged", "--worktree", "--", kata.RelativeDirectory], cancellationToken);
        if (restore.ExitCode != 0)
        {
            throw new WorkshopException($"git could not restore {kata.RelativeDirectory}: {restore.Output.Trim()}");
        }

        var clean = await RunAsync(_root, ["clean", "-f", "-d", "-q", "--", kata.RelativeDirectory], cancellationToken);
        if (clean.ExitCode != 0)
        {
            throw new WorkshopException($"git could not remove the files added to {kata.RelativeDirectory}: {clean.Output.Trim()}");
        }
    }

    private static Task<ProcessRunner.Result> RunAsync(WorkshopRoot root, string[] arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("git", ["-c", "core.quotepath=off", .. arguments], root.Path, TimeSpan.FromMinutes(1), cancellationToken);
}
