using System.Diagnostics;
using System.Xml.Linq;
using Workshop.Shared;

// The workshop's own check, in both directions:
//   every solution passes every test, and every kata fails its memory test *because of its leak*.
// Run from anywhere in the repository: dotnet run --project tools/Verify
var root = FindRoot(Directory.GetCurrentDirectory());

// The workshop's verdict must not depend on the mode a learner chose (.workshop/mode, or WORKSHOP_MODE in the shell):
// every process started here, the test runs first of all, sees the guided mode, whose messages the verdicts are read from.
Environment.SetEnvironmentVariable("WORKSHOP_MODE", "guided");
var results = new Results();
var scratch = Directory.CreateTempSubdirectory("workshop-verify-");
// The notebooks' slow child processes (growth runs, the katas' test runs) give the same answer for the same build:
// NotebookKit's RunCache keeps them here for the run, so a result is computed once (see ShareWithNotebooks).
var notebookRuns = Path.Combine(scratch.FullName, "notebook-runs");
var dumpsBefore = StrayDumps();
try
{
    // What a fresh clone lacks: the local tools (dotnet repl for the notebooks, dotnet-dump for the engine's SOS check)
    // and the slides' npm packages. Both are pinned, and both are quick when already there.
    Console.WriteLine("Restoring the pinned tools and packages...");
    Check(results, "local tools restored (dotnet tool restore)", Run("dotnet", ["tool", "restore"], root, TimeSpan.FromMinutes(10)),
        "check that NuGet is reachable, then run `dotnet tool restore`");
    var slides = Path.Combine(root, "slides");
    if (File.Exists(Path.Combine(slides, "package-lock.json")))
    {
        Check(results, "slides packages installed (npm ci)",
            Directory.Exists(Path.Combine(slides, "node_modules", "@marp-team")) ? (0, "") : Run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], slides, TimeSpan.FromMinutes(10)),
            "check that npm is installed and its registry reachable, then run `npm ci` in slides/");
    }

    Console.WriteLine();
    Console.WriteLine("Building the workshop against the katas, and what runs kata code against the solutions...");
    var projects = Directory.GetFiles(Path.Combine(root, "tests"), "*.Tests.csproj", SearchOption.AllDirectories).Order().ToArray();
    if (!Build(root, useSolutions: false, results, scratch.FullName, projects) || !Build(root, useSolutions: true, results, scratch.FullName, projects))
    {
        return results.Finish();
    }

    Console.WriteLine();
    Console.WriteLine("Katas (each must fail its memory test because of its leak) and solutions (each must pass every test):");
    foreach (var project in projects.Where(p => KataOf(p) is not null).OrderBy(KataOf, StringComparer.Ordinal))
    {
        var kata = KataOf(project)!;
        var onKata = RunTests(project, useSolutions: false, scratch.FullName, notebookRuns);
        var onSolution = RunTests(project, useSolutions: true, scratch.FullName, notebookRuns);
        var kataVerdict = JudgeKata(onKata);
        var solutionVerdict = JudgeSolution(onSolution);
        results.Add(kataVerdict.Ok, $"{kata}: kata", kataVerdict.Detail);
        results.Add(solutionVerdict.Ok, $"{kata}: solution", solutionVerdict.Detail);
        Console.WriteLine($"  {kata,-30} kata: {kataVerdict.Summary,-34} solution: {solutionVerdict.Summary} ({results.Lap()})");
        foreach (var line in kataVerdict.Problems.Concat(solutionVerdict.Problems))
        {
            Console.WriteLine($"      {line}");
        }
    }

    Console.WriteLine();
    Console.WriteLine("Workshop tooling tests:");
    foreach (var project in projects.Where(p => KataOf(p) is null))
    {
        var run = RunTests(project, useSolutions: false, scratch.FullName, notebookRuns: null);
        var verdict = JudgeSolution(run);
        results.Add(verdict.Ok, Path.GetFileNameWithoutExtension(project), verdict.Detail);
        Console.WriteLine($"  {Path.GetFileNameWithoutExtension(project),-30} {verdict.Summary} ({results.Lap()})");
        foreach (var line in verdict.Problems)
        {
            Console.WriteLine($"      {line}");
        }
    }

    Console.WriteLine();
    Console.WriteLine("HeapAssert as a package, in a test project outside the workshop:");
    var package = PackageCheck(root, scratch.FullName);
    results.Add(package.Ok, "HeapAssert package (samples/HeapAssert.Sample)", package.Detail);
    Console.WriteLine($"  {"HeapAssert package",-30} {package.Summary} ({results.Lap()})");
    foreach (var line in package.Problems)
    {
        Console.WriteLine($"      {line}");
    }

    Console.WriteLine();
    Console.WriteLine("Code style, notebooks, slides and benchmarks:");
    // Style and analyzer rules are errors in the build itself (EnforceCodeStyleInBuild, TreatWarningsAsErrors in
    // Directory.Build.props), so both builds above checked them; what is left to check is the layout of every C# file,
    // which needs no compilation (--folder also covers tools/Verify and samples/, outside the solution).
    Check(results, "dotnet format whitespace", Run("dotnet", ["format", "whitespace", "--folder", "--verify-no-changes"], root, TimeSpan.FromMinutes(5)),
        "run `dotnet format Workshop.sln` and `dotnet format tools/Verify/Verify.csproj`, and commit the result");

    var runner = Path.Combine(root, "tools", "NotebookRunner", "bin", "Debug", "net10.0", "NotebookRunner.dll");
    foreach (var notebook in Directory.GetFiles(Path.Combine(root, "notebooks"), "*.ipynb").Order())
    {
        var name = $"notebook {Path.GetFileName(notebook)}";
        var stale = NotExecuted(notebook);
        if (stale is not null)
        {
            Check(results, name, (1, stale), "run it with --write and commit its outputs");
            continue;
        }

        // Two independent clients of the .NET Interactive kernel, side by side: the workshop's runner and dotnet repl.
        // Each runs the notebook in a kernel of its own; neither writes its outputs, so running both at once changes
        // no verdict (the katas' own tests ran above, one at a time).
        // They share one thing: the results of the notebook's slow child processes (a growth run, a test run of the
        // same build), which the second client to ask reads instead of running them again (NotebookKit's RunCache);
        // a kata's test runs come from the step above, which ran the same build's tests the same way.
        var cache = new Dictionary<string, string> { ["NOTEBOOKKIT_RUN_CACHE"] = notebookRuns };
        var inRunner = Task.Run(() => Timed(() => Run("dotnet", ["exec", runner, notebook], root, TimeSpan.FromMinutes(15), cache)));
        var inRepl = Task.Run(() => Timed(() => RunInRepl(notebook, scratch.FullName, cache)));
        Check(results, $"{name} in the kernel (NotebookRunner)", inRunner.Result.Run,
            "run it with `dotnet run --project tools/NotebookRunner -- <notebook>` to see the failing cell", inRunner.Result.Took);
        Check(results, $"{name} in dotnet repl", inRepl.Result.Run,
            $"run `cd notebooks && dotnet repl --run {Path.GetFileName(notebook)} --exit-after-run` to see the failing cell",
            $"{inRepl.Result.Took}, at the same time");
    }

    if (File.Exists(Path.Combine(slides, "package.json")))
    {
        Check(results, "slides build to HTML", Run("npm", ["run", "build", "--silent"], slides, TimeSpan.FromMinutes(10)),
            "run `npm run build` in slides/ to see the broken deck");
    }

    // Every benchmark once, in each of the two builds made above (katas, then solutions), in the build's own process.
    var benchmarks = Path.Combine(root, "benchmarks", "Workshop.Benchmarks");
    foreach (var (flavour, bin) in new[] { ("katas", ""), ("solutions", "solutions") })
    {
        var dll = Path.Combine(benchmarks, "bin", bin, "Debug", "net10.0", "Workshop.Benchmarks.dll");
        if (File.Exists(dll))
        {
            Check(results, $"benchmarks against {flavour} (smoke run)", Run("dotnet", ["exec", dll, "--smoke"], benchmarks, TimeSpan.FromMinutes(10)),
                "run the smoke command from benchmarks/README.md");
        }
    }

    var leftBehind = StrayDumps().Except(dumpsBefore).ToArray();
    results.Add(leftBehind.Length == 0, "no heap dump left behind", string.Join(", ", leftBehind));
    Console.WriteLine();
    Console.WriteLine(leftBehind.Length == 0 ? "  No heap dump file left behind." : $"  Heap dumps left behind: {string.Join(", ", leftBehind)}");
}
finally
{
    scratch.Delete(recursive: true);
}

return results.Finish();

static string FindRoot(string start)
{
    for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Workshop.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Run this from inside the workshop repository (no Workshop.sln found above " + start + ").");
}

static string? KataOf(string project)
{
    var kata = XDocument.Load(project).Descendants("Kata").FirstOrDefault()?.Value.Trim();
    return string.IsNullOrEmpty(kata) ? null : kata;
}

// Against the katas: the whole solution. Against the solutions: only what runs kata code (the katas' test projects and
// the benchmarks, with what they reference), through a solution filter; the tools do not depend on the flavour, and
// their katas build serves both.
static bool Build(string root, bool useSolutions, Results results, string scratch, string[] testProjects)
{
    var flavour = useSolutions ? "solutions" : "katas";
    var target = Path.Combine(root, "Workshop.sln");
    if (useSolutions)
    {
        target = Path.Combine(scratch, "solutions.slnf");
        var kataCode = testProjects.Where(p => KataOf(p) is not null)
            .Append(Path.Combine(root, "benchmarks", "Workshop.Benchmarks", "Workshop.Benchmarks.csproj"))
            .Select(p => Path.GetRelativePath(root, p));
        File.WriteAllText(target, System.Text.Json.JsonSerializer.Serialize(new { solution = new { path = Path.Combine(root, "Workshop.sln"), projects = kataCode } }));
    }

    var (code, output) = Run("dotnet", ["build", target, $"-p:UseSolutions={useSolutions.ToString().ToLowerInvariant()}", "-nologo", "-v:q", "-clp:ErrorsOnly"], root, TimeSpan.FromMinutes(15));
    results.Add(code == 0, $"build against {flavour}", output);
    var took = results.Lap();
    Console.WriteLine(code == 0 ? $"  build against {flavour}: ok ({took})" : $"  build against {flavour}: FAILED ({took}){Environment.NewLine}{Indent(output)}");
    return code == 0;
}

static TestRun RunTests(string project, bool useSolutions, string scratch, string? notebookRuns)
{
    var name = Path.GetFileNameWithoutExtension(project);
    var bin = Path.Combine(Path.GetDirectoryName(project)!, "bin", useSolutions ? "solutions" : "", "Debug", "net10.0", name + ".dll"); // see Directory.Build.props
    var xml = Path.Combine(scratch, $"{name}.{(useSolutions ? "solutions" : "katas")}.xml");
    var (code, output) = Run("dotnet", ["exec", bin, "-xml", xml, "-noColor", "-noLogo"], Path.GetDirectoryName(bin)!, TimeSpan.FromMinutes(10));
    if (!File.Exists(xml))
    {
        return new TestRun([], $"the test run produced no results (exit code {code}).{Environment.NewLine}{output}");
    }

    if (notebookRuns is not null && KataOf(project) is { } kata)
    {
        ShareWithNotebooks(notebookRuns, kata, useSolutions, bin, xml);
    }

    var tests = XDocument.Load(xml).Descendants("test").Select(t => new TestResult(
        t.Attribute("name")?.Value ?? "?",
        t.Attribute("result")?.Value ?? "?",
        t.Descendants("trait").Any(tr => tr.Attribute("name")?.Value == "Memory" && tr.Attribute("value")?.Value == "leak"),
        XunitXml.FailureMessage(t))).ToArray();
    return new TestRun(tests, tests.Length == 0 ? "the project has no tests." : null);
}

// A kata notebook's test cells (NotebookKit's Shell.RunTests) run this very build's tests this very way:
// `dotnet exec <test dll> -xml <file>` in its bin folder. Stored under the key and build time stamp NotebookKit's
// RunCache looks for ("test-<kata>-<katas|solutions>-<ticks>.json", the XML as a JSON string), the notebooks show these
// results instead of running the same tests again.
static void ShareWithNotebooks(string notebookRuns, string kata, bool useSolutions, string dll, string xml)
{
    Directory.CreateDirectory(notebookRuns);
    var key = $"test-{kata}-{(useSolutions ? "solutions" : "katas")}-{File.GetLastWriteTimeUtc(dll).Ticks}";
    File.WriteAllText(Path.Combine(notebookRuns, key + ".json"), System.Text.Json.JsonSerializer.Serialize(File.ReadAllText(xml)));
}

static Verdict JudgeKata(TestRun run)
{
    if (run.Error is not null)
    {
        return new Verdict(false, "NO RESULTS", [run.Error]);
    }

    var problems = new List<string>();
    var memory = run.Tests.Where(t => t.IsMemoryTest).ToArray();
    if (memory.Length == 0)
    {
        problems.Add("no test is marked [Trait(\"Memory\", \"leak\")].");
    }

    foreach (var test in memory)
    {
        if (test.Result == "Pass")
        {
            problems.Add($"{test.Name} passes on the kata: the leak is not caught.");
        }
        else if (!IsLeakFailure(test.Message))
        {
            problems.Add($"{test.Name} fails, but not because of the leak: {FirstLine(test.Message)}");
        }
    }

    foreach (var test in run.Tests.Where(t => !t.IsMemoryTest && t.Result != "Pass"))
    {
        problems.Add($"{test.Name} should pass on the kata too ({test.Result}): {FirstLine(test.Message)}");
    }

    return problems.Count == 0
        ? new Verdict(true, "fails for its leak ✓", [])
        : new Verdict(false, "WRONG", problems);
}

static Verdict JudgeSolution(TestRun run)
{
    if (run.Error is not null)
    {
        return new Verdict(false, "NO RESULTS", [run.Error]);
    }

    var failed = run.Tests.Where(t => t.Result != "Pass").ToArray();
    return failed.Length == 0
        ? new Verdict(true, $"passes ✓ ({run.Tests.Length} tests)", [])
        : new Verdict(false, $"FAILS ({failed.Length} of {run.Tests.Length})", failed.Select(t => $"{t.Name} ({t.Result}): {FirstLine(t.Message)}").ToList());
}

// Packs HeapAssert into a folder feed, installs it from there into samples/HeapAssert.Sample (which stands outside the
// workshop's build) and runs its two tests: the leak test must fail with a leak message, the other must pass.
// Each run packs a version of its own, so the NuGet cache never serves an older build, and removes it from the cache after.
static Verdict PackageCheck(string root, string scratch)
{
    var version = $"0.0.0-verify.{DateTime.UtcNow:yyyyMMddHHmmss}";
    var feed = Path.Combine(scratch, "feed");
    var sample = Path.Combine(root, "samples", "HeapAssert.Sample");
    var environment = new Dictionary<string, string> { ["HEAPASSERT_FEED"] = feed };
    var cache = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
        ? packages
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "heapassert", version);
    try
    {
        var (packed, packOutput) = Run("dotnet", ["pack", Path.Combine(root, "tools", "HeapAssert"), "-o", feed, $"-p:Version={version}", "-nologo", "-v:q"], root, TimeSpan.FromMinutes(5));
        if (packed != 0)
        {
            return new Verdict(false, "PACK FAILED", [FirstLine(packOutput)]);
        }

        var (built, buildOutput) = Run("dotnet", ["build", sample, $"-p:HeapAssertVersion={version}", "-nologo", "-v:q", "-clp:ErrorsOnly"], sample, TimeSpan.FromMinutes(5), environment);
        if (built != 0)
        {
            return new Verdict(false, "SAMPLE BUILD FAILED", [.. buildOutput.Split('\n').Take(10).Select(l => l.Trim())]);
        }

        var bin = Path.Combine(sample, "bin", "Debug", "net10.0");
        var xml = Path.Combine(scratch, "HeapAssert.Sample.xml");
        var (code, output) = Run("dotnet", ["exec", Path.Combine(bin, "HeapAssert.Sample.dll"), "-xml", xml, "-noColor", "-noLogo"], bin, TimeSpan.FromMinutes(5));
        if (!File.Exists(xml))
        {
            return new Verdict(false, "NO RESULTS", [$"the sample's tests produced no results (exit code {code}).", FirstLine(output)]);
        }

        var tests = XDocument.Load(xml).Descendants("test").ToArray();
        var leak = tests.Where(t => t.Descendants("trait").Any(tr => tr.Attribute("name")?.Value == "Memory" && tr.Attribute("value")?.Value == "leak")).ToArray();
        var others = tests.Except(leak).ToArray();
        var problems = new List<string>();
        if (leak.Length != 1 || others.Length != 1)
        {
            problems.Add($"expected one leak test and one other test, found {leak.Length} and {others.Length}.");
        }

        foreach (var test in leak.Where(t => t.Attribute("result")?.Value != "Fail" || !IsLeakFailure(XunitXml.FailureMessage(t))))
        {
            problems.Add($"{test.Attribute("name")?.Value} must fail because of the leak, but: {test.Attribute("result")?.Value} {FirstLine(XunitXml.FailureMessage(test))}");
        }

        foreach (var test in others.Where(t => t.Attribute("result")?.Value != "Pass"))
        {
            problems.Add($"{test.Attribute("name")?.Value} must pass: {FirstLine(XunitXml.FailureMessage(test))}");
        }

        return problems.Count == 0
            ? new Verdict(true, $"packed {version}, installed from a folder: the leak is caught ✓, the bounded store passes ✓", [])
            : new Verdict(false, "WRONG", problems);
    }
    finally
    {
        if (Directory.Exists(cache))
        {
            Directory.Delete(cache, recursive: true);
        }

        if (Path.GetDirectoryName(cache) is { } id && Directory.Exists(id) && !Directory.EnumerateFileSystemEntries(id).Any())
        {
            Directory.Delete(id);
        }
    }
}

static (int Code, string Output) Run(string file, string[] args, string workingDirectory, TimeSpan limit, Dictionary<string, string>? environment = null)
{
    var start = new ProcessStartInfo(file, args)
    {
        WorkingDirectory = workingDirectory,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    foreach (var (name, value) in environment ?? [])
    {
        start.Environment[name] = value;
    }
    using var process = Process.Start(start)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    if (!process.WaitForExit(limit))
    {
        process.Kill(entireProcessTree: true);
        return (-1, $"{file} {string.Join(' ', args)} did not finish within {limit.TotalMinutes:0} minutes and was stopped.");
    }

    return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
}

// took: what the step took, when it is not the time since the last step (two steps that ran at the same time).
static void Check(Results results, string name, (int Code, string Output) run, string hint, string? took = null)
{
    results.Add(run.Code == 0, name, run.Output);
    var lap = results.Lap();
    took ??= lap;
    Console.WriteLine(run.Code == 0 ? $"  {name}: ok ({took})" : $"  {name}: FAILED ({hint}, {took}){Environment.NewLine}{Indent(run.Output)}");
}

static ((int Code, string Output) Run, string Took) Timed(Func<(int Code, string Output)> step)
{
    var clock = Stopwatch.StartNew();
    var run = step();
    return (run, $"{clock.Elapsed.TotalSeconds:0} s");
}

// A committed notebook must carry the outputs of a run: every code cell executed, in order.
static string? NotExecuted(string notebook)
{
    using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(notebook));
    var counts = json.RootElement.GetProperty("cells").EnumerateArray()
        .Where(c => c.GetProperty("cell_type").GetString() == "code")
        .Select(c => c.TryGetProperty("execution_count", out var n) && n.ValueKind == System.Text.Json.JsonValueKind.Number ? n.GetInt32() : 0)
        .ToArray();
    var errors = json.RootElement.GetProperty("cells").EnumerateArray()
        .Where(c => c.TryGetProperty("outputs", out var outputs) && outputs.EnumerateArray().Any(o => o.GetProperty("output_type").GetString() == "error"))
        .Count();
    return !counts.SequenceEqual(Enumerable.Range(1, counts.Length)) ? "its committed outputs are missing or out of order (not saved from one complete run)."
        : errors > 0 ? $"its committed outputs hold {errors} cell error(s)."
        : null;
}

// dotnet repl runs the notebook in its own kernel, from the notebook's folder (as an editor does), and reports each cell
// as a test in a TRX file: every code cell must pass.
static (int Code, string Output) RunInRepl(string notebook, string scratch, Dictionary<string, string> environment)
{
    var trx = Path.Combine(scratch, Path.GetFileNameWithoutExtension(notebook) + ".trx");
    var (code, output) = Run("dotnet", ["repl", "--run", Path.GetFileName(notebook), "--exit-after-run", "--output-format", "trx", "--output-path", trx],
        Path.GetDirectoryName(notebook)!, TimeSpan.FromMinutes(15), environment);
    if (!File.Exists(trx))
    {
        return (code == 0 ? 1 : code, $"dotnet repl wrote no results (exit code {code}).{Environment.NewLine}{output}");
    }

    XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
    var cells = XDocument.Parse(File.ReadAllText(trx)).Descendants(ns + "UnitTestResult").ToArray();
    var failed = cells.Where(c => c.Attribute("outcome")?.Value != "Passed")
        .Select(c => $"{c.Attribute("testName")?.Value.Split(':')[0].Trim()}: {FirstLine(c.Descendants(ns + "Message").FirstOrDefault()?.Value ?? c.Attribute("outcome")?.Value ?? "")}")
        .ToArray();
    if (cells.Length == 0)
    {
        return (1, "dotnet repl ran no cell.");
    }

    return failed.Length == 0 && code == 0
        ? (0, "")
        : (1, $"{failed.Length} of {cells.Length} cells failed (exit code {code}):{Environment.NewLine}{string.Join(Environment.NewLine, failed.Take(5))}");
}

// HeapAssert's own dumps, the engine benchmark's, and what the notebooks' dotnet-dump and dotnet-gcdump cells write.
static IEnumerable<string> StrayDumps() =>
    new[] { "heapassert-*.dmp", "heapengine-*.dmp", "*.gcdump", "workshop-dump-*" }
        .SelectMany(pattern => Directory.EnumerateFileSystemEntries(Path.GetTempPath(), pattern)).ToArray();

// xunit reports "<exception type> : <message>"; HeapAssert starts every leak message with "Leak detected: ".
static bool IsLeakFailure(string message) =>
    System.Text.RegularExpressions.Regex.IsMatch(message, @"^(?:[\w.`+]+ : )?Leak detected: ");

static string FirstLine(string text) => text.Split('\n')[0].Trim();

static string Indent(string text) => string.Join(Environment.NewLine, text.Split('\n').Take(40).Select(l => "      " + l.TrimEnd()));

internal sealed record TestResult(string Name, string Result, bool IsMemoryTest, string Message);

internal sealed record TestRun(TestResult[] Tests, string? Error);

internal sealed record Verdict(bool Ok, string Summary, List<string> Problems)
{
    public string Detail => string.Join(Environment.NewLine, Problems);
}

internal sealed class Results
{
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly Stopwatch _lap = Stopwatch.StartNew();
    private int _passed;
    private readonly List<(string Name, string Detail)> _failed = [];

    /// <summary>The time since the last lap, e.g. "12 s": what the step just reported took.</summary>
    public string Lap()
    {
        var elapsed = _lap.Elapsed;
        _lap.Restart();
        return $"{elapsed.TotalSeconds:0} s";
    }

    public void Add(bool ok, string name, string detail)
    {
        if (ok)
        {
            _passed++;
        }
        else
        {
            _failed.Add((name, detail));
        }
    }

    public int Finish()
    {
        Console.WriteLine();
        foreach (var (name, _) in _failed)
        {
            Console.WriteLine($"FAILED: {name}");
        }

        Console.WriteLine($"Took {(int)_total.Elapsed.TotalMinutes} min {_total.Elapsed.Seconds} s.");
        Console.WriteLine($"{_passed} passed, {_failed.Count} failed");
        return _failed.Count == 0 ? 0 : 1;
    }
}
