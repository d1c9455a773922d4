using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Workshop.Commands;

public sealed class ResetSettings : CommandSettings
{
    [CommandArgument(0, "<kata>")]
    [Description("02 or 02-double-channel-writes.")]
    public string Kata { get; init; } = "";

    [CommandOption("-y|--yes")]
    [Description("Do not ask (for scripts).")]
    public bool Yes { get; init; }
}

/// <summary>Puts a kata's folder back as the workshop ships it, after showing what would be lost and asking.</summary>
public sealed class ResetCommand : AsyncCommand<ResetSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ResetSettings settings, CancellationToken cancellationToken)
    {
        var root = WorkshopRoot.Find(Directory.GetCurrentDirectory());
        var ui = Ui.Current;
        var kata = root.Resolve(settings.Kata);
        var git = await Git.OpenAsync(root, cancellationToken)
            ?? throw new WorkshopException("reset needs git and a clone of the workshop: this folder is not one.");
        var changes = await git.StatusAsync(kata, cancellationToken);
        if (changes.Count == 0)
        {
            ui.Note($"{kata.RelativeDirectory} is as the workshop ships it: nothing to reset.");
            return 0;
        }

        ui.Line($"Your changes in {kata.RelativeDirectory}, which a reset throws away:");
        foreach (var change in changes)
        {
            var (code, path) = (change.Split('\t')[0], change.Split('\t')[^1]);
            ui.Line($"  {(code switch { "M" => "changed", "A" => "added", "D" => "deleted", "?" => "new", _ => code })}: {path}");
        }

        if (!settings.Yes)
        {
            if (!ui.ReadsKeys)
            {
                throw new WorkshopException($"reset asks before it throws anything away: run it in a terminal, or add --yes.");
            }

            if (!await ui.Ansi.ConfirmAsync($"Throw them away and put {kata.RelativeDirectory} back as the workshop ships it?", defaultValue: false, cancellationToken))
            {
                ui.Note("Nothing changed.");
                return 0;
            }
        }

        await git.RestoreAsync(kata, cancellationToken);
        ui.Success($"{kata.RelativeDirectory} is back as the workshop ships it (the hints you have seen stay shown).");
        return 0;
    }
}
