using KataServices;

// Starts one of the katas' services on 127.0.0.1 and a port the system picks, prints "listening <address>", then
// answers one command per line on standard input until it ends (the parent closed it, or exited):
//   dotnet exec tools/KataServices/bin/Debug/net10.0/KataServices.dll secret-manager
// NotebookKit's KataService starts it, sends the commands and stops it.
if (args.Length != 1 || !Services.All.TryGetValue(args[0], out var start))
{
    Console.Error.WriteLine($"Usage: KataServices <{string.Join('|', Services.All.Keys)}>");
    return 2;
}

await using var service = await start();
Console.WriteLine($"listening {service.Address}");
while (await Console.In.ReadLineAsync() is { } line)
{
    if (line.Trim().Length == 0)
    {
        continue;
    }

    string reply;
    try
    {
        reply = service.Handle(line.Trim());
    }
    catch (ArgumentException e)
    {
        reply = "error: " + e.Message;
    }

    Console.WriteLine(reply);
}

return 0;
