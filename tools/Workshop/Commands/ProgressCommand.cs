using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Workshop.Commands;

public sealed class ProgressSettings : CommandSettings
{
    [CommandOption("--summary")]
    [Description("Print one line to paste into the room's chat: 01 ✓ 02 ✗ 03 · …")]
    public bool Summary { get; init; }

    [CommandOption("--rerun")]
    [Description("Build and test every kata you changed, even those whose files are as they were at their last check.")]
    public bool Rerun { get; init; }
}

/// <summary>
/// Where the learner stands. A kata whose folder is as the workshop ships it is not started (it fails its memory test:
/// tools/Verify checks that); every kata the learner changed is built and tested, unless its last result was made from
/// exactly the files it has now.
/// </summary>
public sealed class ProgressCommand : AsyncCommand<ProgressSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ProgressSettings settings, CancellationToken cancellationToken)
    {
        var root = WorkshopRoot.Find(Directory.GetCurrentDirectory());
        var ui = Ui.Current;
        var katas = (await new Planner(root).LookAsync(settings.Rerun, cancellationToken)).ToList();
        var toCheck = katas.Where(k => k.State == KataState.Unchecked).ToArray();
        if (toCheck.Length > 0)
        {
            var checker = new KataChecker(root, Builders.Create(root, settings.Summary ? Console.Error.WriteLine : ui.Note));
            if (ui.Rich && !settings.Summary)
            {
                await CheckWithProgressBarsAsync(ui, checker, katas, toCheck, cancellationToken);
            }
            else
            {
                foreach (var kata in toCheck)
                {
                    var note = $"Checking {kata.Kata.Label} (you changed it)...";
                    if (settings.Summary)
                    {
                        await Console.Error.WriteLineAsync(note);
                    }
                    else
                    {
                        ui.Line(note);
                    }

                    var check = await checker.CheckAsync(kata.Kata, null, cancellationToken);
                    Replace(katas, kata, check.Result);
                }
            }
        }

        if (settings.Summary)
        {
            Console.Out.WriteLine(ProgressLogic.SummaryLine(katas));
            return 0;
        }

        Show(ui, katas);
        return 0;
    }

    private static async Task CheckWithProgressBarsAsync(Ui ui, KataChecker checker, List<KataProgress> katas, KataProgress[] toCheck, CancellationToken cancellationToken)
    {
        await ui.Ansi.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new SpinnerColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = toCheck.Select(k => (Kata: k, Task: context.AddTask($"{Ui.Escape(k.Kata.Label)}: waiting", autoStart: false, maxValue: 2))).ToArray();
                foreach (var (kata, task) in tasks)
                {
                    task.StartTask();
                    var check = await checker.CheckAsync(kata.Kata, phase =>
                    {
                        task.Description = $"{Ui.Escape(kata.Kata.Label)}: {(phase == CheckPhase.Building ? "building" : "running its tests")}";
                        task.Value = phase == CheckPhase.Building ? 0 : 1;
                    }, cancellationToken);
                    task.Value = 2;
                    task.Description = $"{Ui.Escape(kata.Kata.Label)}: {(check.Result.Outcome == Outcome.Solved ? "[green]solved[/]" : "[red]not solved[/]")}";
                    task.StopTask();
                    Replace(katas, kata, check.Result);
                }
            });
    }

    private static void Replace(List<KataProgress> katas, KataProgress kata, CheckResult result)
    {
        var (state, detail) = ProgressLogic.StateOf(result);
        katas[katas.IndexOf(kata)] = kata with { State = state, Detail = detail };
    }

    private static void Show(Ui ui, IReadOnlyList<KataProgress> katas)
    {
        var counted = katas.Where(k => k.Kata.TestProject is not null).ToArray();
        var solved = counted.Count(k => k.State == KataState.Solved);
        var next = ProgressLogic.Next(katas);
        if (ui.Rich)
        {
            var table = new Table().Border(TableBorder.Rounded).BorderColor(Color.Grey)
                .AddColumn("Kata").AddColumn("State").AddColumn(new TableColumn("Hints").RightAligned());
            foreach (var kata in katas)
            {
                table.AddRow(
                    new Markup((kata.Kata == next ? "[bold]" : "") + Ui.Escape(kata.Kata.Label) + (kata.Kata == next ? "[/]" : "")),
                    new Markup(StateMarkup(kata)).Overflow(Overflow.Ellipsis),
                    new Markup(kata.HintsTotal == 0 ? "" : $"[grey]{kata.HintsShown}/{kata.HintsTotal}[/]"));
            }

            ui.Ansi.Write(table);
            const int width = 28;
            var filled = counted.Length == 0 ? 0 : (int)Math.Round(width * (double)solved / counted.Length);
            ui.Ansi.MarkupLine($" [green]{new string('█', filled)}[/][grey]{new string('░', width - filled)}[/]  [bold]{solved} of {counted.Length} solved[/]");
        }
        else
        {
            var labelWidth = katas.Select(k => k.Kata.Label.Length).DefaultIfEmpty(0).Max() + 2;
            foreach (var kata in katas)
            {
                var hints = kata.HintsTotal == 0 ? "" : $"  (hints {kata.HintsShown}/{kata.HintsTotal})";
                ui.Line($"{ProgressLogic.Mark(kata.State)} {kata.Kata.Label.PadRight(labelWidth)}{StateText(kata)}{hints}");
            }

            ui.Line();
            ui.Line($"{solved} of {counted.Length} solved");
        }

        if (next is not null)
        {
            ui.Markup($"Next: [bold]{Ui.Escape(next.Label)}[/]   [aqua]{Ui.Escape(Ui.Command($"watch {next.Id}"))}[/]",
                $"Next: {next.Label}   {Ui.Command($"watch {next.Id}")}");
        }
        else if (counted.Length > 0 && solved == counted.Length)
        {
            ui.Success("Every kata is solved. Well done: now try a kata's \"Going further\", or the investigate mode (mode investigate).");
        }
    }

    private static string StateText(KataProgress kata) => kata.State switch
    {
        KataState.Solved => "solved",
        KataState.NotStarted => "not started",
        KataState.Failing => $"failing: {kata.Detail}",
        KataState.BuildFailed => $"does not build: {kata.Detail}",
        _ => kata.Detail,
    };

    private static string StateMarkup(KataProgress kata) => kata.State switch
    {
        KataState.Solved => "[green]✓ solved[/]",
        KataState.NotStarted => "[grey]· not started[/]",
        KataState.Failing => $"[red]✗ {Ui.Escape(kata.Detail)}[/]",
        KataState.BuildFailed => $"[red]✗ does not build: {Ui.Escape(kata.Detail)}[/]",
        _ => $"[yellow]? {Ui.Escape(kata.Detail)}[/]",
    };
}
