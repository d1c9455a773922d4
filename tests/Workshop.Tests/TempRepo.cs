using System.Diagnostics;

namespace Workshop.Tests;

/// <summary>A small workshop on disk for a test: Workshop.sln, katas, test projects; deleted afterwards.</summary>
internal sealed class TempRepo : IDisposable
{
    public TempRepo()
    {
        Path = Directory.CreateTempSubdirectory("workshop-tests-").FullName;
        Write("Workshop.sln", "");
        Directory.CreateDirectory(System.IO.Path.Combine(Path, "katas"));
    }

    public string Path { get; }

    public WorkshopRoot Root => new(Path);

    public string StateDirectory => System.IO.Path.Combine(Path, ".workshop");

    public TempRepo Write(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return this;
    }

    /// <summary>katas/NN-name with a README titled <paramref name="title"/>, a csproj and a source file, and its test project.</summary>
    public TempRepo Kata(string name, string title, bool withTests = true)
    {
        var project = string.Concat(name[(name.IndexOf('-') + 1)..].Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
        Write($"katas/{name}/README.md", $"# {name[..name.IndexOf('-')]} · {title}\n\nA summary.\n");
        Write($"katas/{name}/{project}.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />\n");
        Write($"katas/{name}/Service.cs", "namespace X;\npublic sealed class Service { }\n");
        if (withTests)
        {
            Write($"tests/{project}.Tests/{project}.Tests.csproj", $"<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <Kata>{name}</Kata>\n  </PropertyGroup>\n</Project>\n");
        }

        return this;
    }

    public string Git(params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", "user.name=Learner", "-c", "user.email=learner@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd() + git.StandardError.ReadToEnd();
        git.WaitForExit();
        if (git.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {output}");
        }

        return output;
    }

    public void Dispose()
    {
        foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal); // git's objects are read-only
        }

        Directory.Delete(Path, recursive: true);
    }
}

/// <summary>The repository these tests run in.</summary>
internal static class ThisRepository
{
    public static WorkshopRoot Root { get; } = WorkshopRoot.Find(AppContext.BaseDirectory);
}
