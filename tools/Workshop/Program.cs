using System.Text;
using Spectre.Console;
using Spectre.Console.Cli;
using Workshop;
using Workshop.Commands;

// The learner's companion: progress, watch, hint, reset, mode, and verify for instructors.
// Run from the repository root: dotnet run --project tools/Workshop -- <verb> [kata]
Console.OutputEncoding = Encoding.UTF8;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // stop what runs (a build, the tests) and leave cleanly
    stop.Cancel();
};

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName(Ui.Invocation);
    config.AddCommand<ProgressCommand>("progress")
        .WithDescription("Every kata and where you stand on it (built and tested for real), N of M solved, and the kata to do next.")
        .WithExample("progress")
        .WithExample("progress", "--summary");
    config.AddCommand<WatchCommand>("watch")
        .WithDescription("Builds and tests a kata each time you save one of its files, and shows the verdict.")
        .WithExample("watch", "02");
    config.AddCommand<HintCommand>("hint")
        .WithDescription("Shows the kata's next hint, one at a time.")
        .WithExample("hint", "02");
    config.AddCommand<ResetCommand>("reset")
        .WithDescription("Puts a kata's folder back as the workshop ships it, after asking.")
        .WithExample("reset", "02");
    config.AddCommand<ModeCommand>("mode")
        .WithDescription("Shows or sets how leak tests report: guided (the whole diagnosis) or investigate (the symptom only).")
        .WithExample("mode", "investigate");
    config.AddCommand<VerifyCommand>("verify")
        .WithDescription("For instructors: the whole workshop, both ways (tools/Verify; about 20 minutes).");
    config.SetExceptionHandler((exception, _) =>
    {
        switch (exception)
        {
            case WorkshopException:
                Ui.Current.Failure(exception.Message);
                return 1;
            case OperationCanceledException:
                return 130;
            case CommandParseException or CommandRuntimeException:
                Ui.Current.Failure(exception.Message);
                return 2;
            default:
                AnsiConsole.WriteException(exception);
                return 1;
        }
    });
});

return await app.RunAsync(args, stop.Token);
