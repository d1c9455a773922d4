using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Workshop.Commands;

public sealed class WatchSettings : CommandSettings
{
    [CommandArgument(0, "[kata]")]
    [Description("02 or 02-double-channel-writes; without it, the kata you are on.")]
    public string? Kata { get; init; }
}

/// <summary>
/// rustlings' loop for a kata: check it, show the verdict, and check again the moment a file of the kata is saved. A save
/// during a check stops that check and starts again once the saves have settled.
/// </summary>
public sealed class WatchCommand : AsyncCommand<WatchSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, WatchSettings settings, CancellationToken cancellationToken)
    {
        var root = WorkshopRoot.Find(Directory.GetCurrentDirectory());
        var ui = Ui.Current;
        var kata = settings.Kata is null ? await new Planner(root).CurrentAsync(cancellationToken) : root.Resolve(settings.Kata);
        var checker = new KataChecker(root, Builders.Create(root, ui.Note));
        var keys = ui.ReadsKeys ? new KeyReader() : null;
        try
        {
            while (kata is not null)
            {
                kata = await WatchAsync(root, ui, checker, kata, keys, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ui.Line();
            ui.Note("Stopped watching.");
        }

        return 0;
    }

    /// <summary>Watches one kata until the learner moves on (the next kata) or quits (null).</summary>
    private static async Task<Kata?> WatchAsync(WorkshopRoot root, Ui ui, KataChecker checker, Kata kata, KeyReader? keys, CancellationToken cancellationToken)
    {
        var debouncer = new Debouncer();
        using var watcher = new KataWatcher(kata.Directory, debouncer);
        var reason = "first check";
        while (true)
        {
            var check = await CheckUntilSettledAsync(root, ui, checker, kata, debouncer, watcher, reason, cancellationToken);
            ShowVerdict(ui, kata, check);
            var next = check.Result.Outcome == Outcome.Solved
                ? ProgressLogic.Next(await new Planner(root).LookAsync(false, cancellationToken), after: kata)
                : null;
            ShowWhatNow(ui, kata, check.Result, next, keys is not null);

            // Waits for the next save or a key; a key that ends the wait also ends this wait for a save, so that only one
            // wait ever settles the debouncer.
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var change = debouncer.SettleAsync(waiting.Token);
            while (true)
            {
                var first = keys is null ? change : await Task.WhenAny(change, keys.Next);
                if (first == change)
                {
                    await change;
                    reason = $"{watcher.LastChange ?? "a file"} changed";
                    break;
                }

                var key = char.ToLowerInvariant(keys!.Take().KeyChar);
                if (key is 'q' or 'n' or 'r')
                {
                    await waiting.CancelAsync();
                    await change.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }

                if (key == 'q')
                {
                    return null;
                }

                if (key == 'n')
                {
                    return next ?? ProgressLogic.Next(await new Planner(root).LookAsync(false, cancellationToken), after: kata) ?? kata;
                }

                if (key == 'h')
                {
                    HintCommand.ShowNext(ui, root, kata, inWatch: true);
                }
                else if (key == 'r')
                {
                    reason = "run again";
                    break;
                }
            }
        }
    }

    /// <summary>One check, started again whenever a save comes in while it runs, until one finishes on settled files.</summary>
    private static async Task<Check> CheckUntilSettledAsync(WorkshopRoot root, Ui ui, KataChecker checker, Kata kata, Debouncer debouncer,
        KataWatcher watcher, string reason, CancellationToken cancellationToken)
    {
        while (true)
        {
            ShowHeader(ui, root, kata, reason);
            using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var checking = Task.Run(async () =>
            {
                if (!ui.Rich)
                {
                    return await checker.CheckAsync(kata, phase => ui.Line(phase == CheckPhase.Building ? "Building..." : "Running the tests..."), run.Token);
                }

                return await ui.Ansi.Status().Spinner(Spinner.Known.Dots).StartAsync($"Building {Ui.Escape(kata.RelativeDirectory)}...", async status =>
                    await checker.CheckAsync(kata, phase => status.Status(phase == CheckPhase.Building
                        ? $"Building {Ui.Escape(kata.RelativeDirectory)}..."
                        : "Running the tests..."), run.Token));
            }, CancellationToken.None);
            var first = await Task.WhenAny(checking, debouncer.ChangedAsync(cancellationToken));
            if (first == checking && !debouncer.Pending)
            {
                return await checking;
            }

            // Saved again while checking: what is being checked is already out of date.
            await run.CancelAsync();
            try
            {
                await checking;
            }
            catch (OperationCanceledException)
            {
                // expected: the build or the tests were stopped
            }

            cancellationToken.ThrowIfCancellationRequested();
            await debouncer.SettleAsync(cancellationToken);
            reason = $"{watcher.LastChange ?? "a file"} changed during the check";
        }
    }

    private static void ShowHeader(Ui ui, WorkshopRoot root, Kata kata, string reason)
    {
        var mode = Modes.Effective(root.StateDirectory, Environment.GetEnvironmentVariable(Modes.EnvironmentVariable)).Mode;
        if (ui.Rich)
        {
            ui.Ansi.Clear(home: true);
            ui.Heading(kata.Label);
            ui.Note($"{kata.RelativeDirectory} · {mode} mode · {DateTime.Now:HH:mm:ss} · {reason}");
        }
        else
        {
            ui.Line();
            ui.Heading($"{kata.Label} · {DateTime.Now:HH:mm:ss} · {reason}");
        }
    }

    public static void ShowVerdict(Ui ui, Kata kata, Check check)
    {
        var result = check.Result;
        var took = check.TestTime > TimeSpan.Zero ? $"build {check.BuildTime.TotalSeconds:0.0} s, tests {check.TestTime.TotalSeconds:0.0} s" : $"build {check.BuildTime.TotalSeconds:0.0} s";
        ui.Line();
        switch (result.Outcome)
        {
            case Outcome.Solved:
                ui.Success($"{kata.Id} solved: all {result.Tests.Count} tests pass ({took}).");
                break;
            case Outcome.Failing:
                var failures = result.Failures;
                ui.Failure($"{kata.Id} not solved yet: {failures.Count} of {result.Tests.Count} tests fail ({took}).");
                foreach (var test in failures)
                {
                    ui.Line();
                    ui.Markup($"[bold]{Ui.Escape(test.ShortName)}[/]", test.ShortName);
                    ui.Verbatim(test.Message.Length > 0 ? test.Message : "(the test failed without a message)", firstLineStyle: "red bold");
                }

                foreach (var problem in result.Problems)
                {
                    ui.Line();
                    ui.Verbatim(problem, firstLineStyle: "red bold");
                }

                break;
            case Outcome.BuildFailed:
                ui.Failure($"{kata.Id} does not build, so its tests did not run ({result.Problems.Count} error{(result.Problems.Count == 1 ? "" : "s")}, {took}):");
                ui.Line();
                foreach (var error in result.Problems.Take(20))
                {
                    ui.Verbatim(error, firstLineStyle: "red");
                }

                break;
            default:
                ui.Failure($"{kata.Id}: no test results.");
                foreach (var problem in result.Problems)
                {
                    ui.Verbatim(problem, firstLineStyle: "red");
                }

                break;
        }
    }

    private static void ShowWhatNow(Ui ui, Kata kata, CheckResult result, Kata? next, bool keys)
    {
        ui.Line();
        if (result.Outcome == Outcome.Solved)
        {
            if (next is null)
            {
                ui.Success("Every kata is solved.");
            }
            else if (keys)
            {
                ui.Markup($"Next: [bold]{Ui.Escape(next.Label)}[/]. Press [bold]n[/] to watch it.", $"Next: {next.Label}. Press n to watch it.");
            }
            else
            {
                ui.Line($"Next: {next.Label}: {Ui.Command($"watch {next.Id}")}");
            }
        }

        if (keys)
        {
            ui.Markup($"[grey]Save a file in {Ui.Escape(kata.RelativeDirectory)} to check again · [bold]h[/] next hint · [bold]n[/] next kata · [bold]r[/] run again · [bold]q[/] quit[/]",
                $"Save a file in {kata.RelativeDirectory} to check again · h next hint · n next kata · r run again · q quit");
        }
        else
        {
            ui.Line($"Watching {kata.RelativeDirectory}: save a file to check again (Ctrl+C stops).");
        }
    }
}
