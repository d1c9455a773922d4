using NotebookRunner;

var color = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
return await Cli.RunAsync(args, Console.Out, Console.Error, color);
