using System.ComponentModel;
using Spectre.Console.Cli;

namespace Workshop.Commands;

public sealed class HintSettings : CommandSettings
{
    [CommandArgument(0, "[kata]")]
    [Description("02 or 02-double-channel-writes; without it, the kata you are on.")]
    public string? Kata { get; init; }

    [CommandOption("--shown")]
    [Description("Print again the hints already shown, without a new one.")]
    public bool Shown { get; init; }
}

/// <summary>The next rung of a kata's hint ladder, and only that one; the count is kept in .workshop/hints.json.</summary>
public sealed class HintCommand : AsyncCommand<HintSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, HintSettings settings, CancellationToken cancellationToken)
    {
        var root = WorkshopRoot.Find(Directory.GetCurrentDirectory());
        var kata = settings.Kata is null ? await new Planner(root).CurrentAsync(cancellationToken) : root.Resolve(settings.Kata);
        if (settings.Shown)
        {
            ShowAgain(Ui.Current, root, kata);
        }
        else
        {
            ShowNext(Ui.Current, root, kata);
        }

        return 0;
    }

    /// <summary>Shows the kata's next hint and counts it; <paramref name="inWatch"/> when watch's h key asked, so the next one is a key away.</summary>
    public static void ShowNext(Ui ui, WorkshopRoot root, Kata kata, bool inWatch = false)
    {
        var file = HintParser.Load(kata);
        if (file.Hints.Count == 0)
        {
            ui.Note($"{kata.Label} has no hints yet ({file.Source} has none).");
            return;
        }

        var reveal = new HintLedger(root.StateDirectory).RevealNext(kata.Name, file.Hints);
        if (reveal.Hint is null)
        {
            ui.Note($"All {reveal.Total} hints of {kata.Id} are shown: `{Ui.Command($"hint {kata.Id} --shown")}` prints them again.");
            ShowSolutionPointer(ui, root, kata);
            return;
        }

        Show(ui, kata, reveal.Hint, reveal.Total);
        if (reveal.Shown < reveal.Total)
        {
            ui.Note(inWatch
                ? $"Still stuck? Press h for hint {reveal.Shown + 1} of {reveal.Total}."
                : $"Still stuck? `{Ui.Command($"hint {kata.Id}")}` shows hint {reveal.Shown + 1} of {reveal.Total}.");
        }
        else
        {
            ui.Note("That was the last hint.");
            ShowSolutionPointer(ui, root, kata);
        }
    }

    private static void ShowAgain(Ui ui, WorkshopRoot root, Kata kata)
    {
        var file = HintParser.Load(kata);
        var shown = Math.Min(new HintLedger(root.StateDirectory).Shown(kata.Name), file.Hints.Count);
        if (shown == 0)
        {
            ui.Note($"No hint of {kata.Id} shown yet: `{Ui.Command($"hint {kata.Id}")}` shows the first.");
            return;
        }

        foreach (var hint in file.Hints.Take(shown))
        {
            Show(ui, kata, hint, file.Hints.Count);
        }
    }

    private static void Show(Ui ui, Kata kata, Hint hint, int total)
    {
        ui.Line();
        ui.Heading($"{kata.Id} · hint {hint.Number} of {total}: {hint.Title}");
        ui.Line();
        ui.Markdown(hint.Text);
        ui.Line();
    }

    private static void ShowSolutionPointer(Ui ui, WorkshopRoot root, Kata kata)
    {
        var solution = Path.Combine(root.Path, "solutions", kata.Name, "README.md");
        if (File.Exists(solution))
        {
            ui.Note($"The fix, why it works and the fixes that did not: {root.Relative(solution)}.");
        }
    }
}
