using System.ComponentModel;
using Spectre.Console.Cli;

namespace Workshop.Commands;

public sealed class ModeSettings : CommandSettings
{
    [CommandArgument(0, "[mode]")]
    [Description("guided or investigate; without it, the mode in force.")]
    public string? Mode { get; init; }
}

/// <summary>Shows or sets <c>.workshop/mode</c>, which the katas' memory tests read to word a leak.</summary>
public sealed class ModeCommand : Command<ModeSettings>
{
    private const string GuidedText = "a leak test's message tells what leaked, how much, what holds it (the retention path), and where the hints are.";
    private const string InvestigateText = "a leak test's message reports only the symptom (what grew, by how much, over how much work): you find what holds it yourself, with HeapAssert's snapshots, diffs and retention paths, or with dotnet-gcdump.";

    public override int Execute(CommandContext context, ModeSettings settings, CancellationToken cancellationToken)
    {
        var root = WorkshopRoot.Find(Directory.GetCurrentDirectory());
        var ui = Ui.Current;
        var environment = Environment.GetEnvironmentVariable(Modes.EnvironmentVariable);
        if (settings.Mode is null)
        {
            var (mode, source, problem) = Modes.Effective(root.StateDirectory, environment);
            ui.Markup($"Mode: [bold]{mode}[/] [grey](from {Ui.Escape(source)})[/]", $"Mode: {mode} (from {source})");
            if (problem is not null)
            {
                ui.Failure(problem + ": the tests use guided.");
            }

            ui.Line();
            ui.Markup($"  [bold]guided[/]       {Ui.Escape(GuidedText)}", $"  guided       {GuidedText}");
            ui.Markup($"  [bold]investigate[/]  {Ui.Escape(InvestigateText)}", $"  investigate  {InvestigateText}");
            ui.Line();
            ui.Note(string.IsNullOrWhiteSpace(environment)
                ? $"Switch with `{Ui.Command($"mode {(mode == Modes.Guided ? Modes.Investigate : Modes.Guided)}")}`."
                : $"{Modes.EnvironmentVariable} is set in this shell and wins over .workshop/mode: unset it to switch with `{Ui.Command("mode <guided|investigate>")}`.");
            return 0;
        }

        var chosen = Modes.Parse(settings.Mode)
            ?? throw new WorkshopException($"\"{settings.Mode}\" is not a mode: say guided or investigate.");
        Modes.Save(root.StateDirectory, chosen);
        ui.Success($"Mode set to {chosen} (in .workshop/mode): {(chosen == Modes.Guided ? GuidedText : InvestigateText)}");
        if (!string.IsNullOrWhiteSpace(environment) && Modes.Parse(environment) != chosen)
        {
            ui.Failure($"But {Modes.EnvironmentVariable}={environment.Trim()} is set in this shell, and it wins over the file: unset it to use {chosen}.");
        }

        return 0;
    }
}
