using System.Diagnostics;
using System.Text;

namespace NotebookKit;

/// <summary>
/// A kata's service (for example kata 03's Secret Manager) running in a process of its own on 127.0.0.1, as a real
/// service would: the notebook's process holds only the client side. Start it, send it commands, dispose it to stop it.
/// It comes from <c>tools/KataServices</c>, built by <c>dotnet build</c>.
/// </summary>
public sealed class KataService : IDisposable
{
    private static readonly TimeSpan s_startLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_replyLimit = TimeSpan.FromSeconds(10);
    private readonly Process _process;
    private readonly Lock _gate = new();

    private KataService(string name, Process process, Uri address)
    {
        Name = name;
        _process = process;
        Address = address;
    }

    /// <summary>The service's name, as <c>tools/KataServices</c> knows it.</summary>
    public string Name { get; }

    /// <summary>Where clients connect, e.g. http://127.0.0.1:41234.</summary>
    public Uri Address { get; }

    /// <summary>The service's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Starts the service <paramref name="name"/> (e.g. <c>secret-manager</c>) and waits until it listens.</summary>
    public static KataService Start(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        const string Dll = "tools/KataServices/bin/Debug/net10.0/KataServices.dll";
        if (!File.Exists(Workshop.PathOf(Dll)))
        {
            throw new InvalidOperationException($"{Dll} is missing: run `dotnet build` in the repository root first.");
        }

        var start = new ProcessStartInfo(Shell.DotnetHost(), $"exec {Workshop.PathOf(Dll)} {name}")
        {
            WorkingDirectory = Workshop.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Dll}.");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();

        var first = process.StandardOutput.ReadLineAsync();
        if (!first.Wait(s_startLimit) || first.Result is not { } line || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            Stop(process);
            lock (errors)
            {
                throw new InvalidOperationException($"The service '{name}' did not start: {errors.ToString().Trim()}");
            }
        }

        return new KataService(name, process, new Uri(line["listening ".Length..].Trim()));
    }

    /// <summary>Sends one command (e.g. <c>stats</c>, or <c>set &lt;name&gt; &lt;value&gt;</c>) and returns the service's one-line answer.</summary>
    public string Send(string command)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_process.HasExited, this);
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
            var reply = _process.StandardOutput.ReadLineAsync();
            if (!reply.Wait(s_replyLimit) || reply.Result is not { } line)
            {
                throw new InvalidOperationException($"The service '{Name}' did not answer '{command}'.");
            }

            return line.StartsWith("error: ", StringComparison.Ordinal)
                ? throw new ArgumentException($"The service '{Name}' refused '{command}': {line["error: ".Length..]}", nameof(command))
                : line;
        }
    }

    /// <summary>Stops the service: it closes every connection, also those its clients never closed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            Stop(_process);
            _process.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} on {Address} (process {_process.Id})";

    private static void Stop(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        process.StandardInput.Close(); // the service stops when its input ends
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }
}
