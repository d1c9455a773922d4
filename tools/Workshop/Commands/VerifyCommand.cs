using System.Diagnostics;
using Spectre.Console.Cli;

namespace Workshop.Commands;

/// <summary>For instructors: runs tools/Verify, the workshop's two-sided check, with its own output.</summary>
public sealed class VerifyCommand : AsyncCommand
{
    public override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var root = WorkshopRoot.Find(Directory.GetCurrentDirectory());
        Ui.Current.Note("tools/Verify: every kata must fail its memory test because of its leak and every solution must pass every test; "
            + "then formatting, the notebooks, the slides and the benchmarks. About 20 minutes on a 2-core machine.");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root.Path, UseShellExecute = false };
        foreach (var argument in VerifyArguments(root))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new WorkshopException("could not start `dotnet`.");
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await process.WaitForExitAsync(CancellationToken.None); // Ctrl+C reached it too: let it clean up its scratch folder
            throw;
        }

        return process.ExitCode;
    }

    public static IReadOnlyList<string> VerifyArguments(WorkshopRoot root) =>
        ["run", "--project", Path.Combine(root.Path, "tools", "Verify", "Verify.csproj")];
}
