namespace Workshop.Tests;

/// <summary>
/// Where a learner stands, from git and the saved results, in a real git repository: untouched katas are not started,
/// changed ones are checked, and a saved result counts only for the exact files it was made from.
/// </summary>
public sealed class StateTests
{
    private static TempRepo Workshop()
    {
        var repo = new TempRepo()
            .Kata("01-disposal-in-loops", "Disposal in loops")
            .Kata("02-double-channel-writes", "Double channel writes")
            .Kata("03-undisposed-grpc-clients", "Undisposed gRPC clients")
            .Write("tools/HeapAssert/Heap.cs", "// the engine\n")
            .Write(".gitignore", "bin/\nobj/\n.workshop/\n");
        repo.Git("init", "-q");
        repo.Git("add", "-A");
        repo.Git("commit", "-q", "-m", "The workshop");
        return repo;
    }

    private static CheckResult Solved() => CheckResult.FromTests([new TestCase("K.T.A", "Pass", true, "")], [], DateTimeOffset.Now);

    [Fact]
    public async Task Fingerprints_change_with_the_learner_s_code_and_the_mode_but_not_with_build_output_or_prose()
    {
        using var repo = Workshop();
        var kata = repo.Root.Katas[1];
        var first = Fingerprint.Of(repo.Root, kata, Modes.Guided);

        repo.Write("katas/02-double-channel-writes/obj/Debug/x.dll", "output").Write("katas/02-double-channel-writes/README.md", "# notes");
        Fingerprint.Of(repo.Root, kata, Modes.Guided).Should().Be(first);
        Fingerprint.Of(repo.Root, kata, Modes.Investigate).Should().NotBe(first, "the mode changes what the tests say");

        repo.Write("katas/02-double-channel-writes/Service.cs", "namespace X;\npublic sealed class Service { } // fixed\n");
        var edited = Fingerprint.Of(repo.Root, kata, Modes.Guided);
        edited.Should().NotBe(first);
        repo.Write("tools/HeapAssert/Heap.cs", "// the engine, changed\n");
        Fingerprint.Of(repo.Root, kata, Modes.Guided).Should().NotBe(edited, "the tests are built from the engine too");
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Untouched_katas_are_not_started_and_changed_ones_wait_for_a_check()
    {
        using var repo = Workshop();
        repo.Write("katas/02-double-channel-writes/Service.cs", "namespace X;\npublic sealed class Service { } // my fix\n");
        repo.Write("katas/03-undisposed-grpc-clients/Extra.cs", "// a file of my own\n");
        repo.Write("katas/01-disposal-in-loops/bin/Debug/x.dll", "build output is no change");
        repo.Write("katas/01-disposal-in-loops/README.md", "# notes in the README are no change either");
        repo.Git("add", "katas/01-disposal-in-loops/README.md");

        var katas = await new Planner(repo.Root).LookAsync(false, TestContext.Current.CancellationToken);

        katas.Select(k => k.State).Should().Equal(KataState.NotStarted, KataState.Unchecked, KataState.Unchecked);
        ProgressLogic.Next(katas)!.Name.Should().Be("02-double-channel-writes");
    }

    [Fact]
    public async Task A_saved_result_counts_while_the_files_are_the_same_and_no_longer()
    {
        using var repo = Workshop();
        var kata = repo.Root.Katas[1];
        repo.Write("katas/02-double-channel-writes/Service.cs", "namespace X;\npublic sealed class Service { } // my fix\n");
        // WORKSHOP_MODE, when set in the shell that runs these tests, wins over the mode file: the results count under it.
        string Effective() => Modes.Effective(repo.StateDirectory, Environment.GetEnvironmentVariable(Modes.EnvironmentVariable)).Item1;
        new ResultStore(repo.StateDirectory).Save(kata.Name, Fingerprint.Of(repo.Root, kata, Effective()), Solved());
        var planner = new Planner(repo.Root);

        (await planner.LookAsync(false, TestContext.Current.CancellationToken))[1].State.Should().Be(KataState.Solved);
        (await planner.LookAsync(ignoreSavedResults: true, TestContext.Current.CancellationToken))[1].State.Should().Be(KataState.Unchecked);

        repo.Write("katas/02-double-channel-writes/Service.cs", "namespace X;\npublic sealed class Service { } // my fix, edited\n");
        (await planner.LookAsync(false, TestContext.Current.CancellationToken))[1].State.Should().Be(KataState.Unchecked, "the saved result was made from other files");

        Modes.Save(repo.StateDirectory, Modes.Investigate);
        new ResultStore(repo.StateDirectory).Save(kata.Name, Fingerprint.Of(repo.Root, kata, Effective()), Solved());
        (await planner.LookAsync(false, TestContext.Current.CancellationToken))[1].State.Should().Be(KataState.Solved);
    }

    [Fact]
    public async Task A_fix_the_learner_committed_still_counts_as_a_change_in_a_clone()
    {
        using var upstream = Workshop();
        using var clone = new TempRepo();
        Directory.Delete(clone.Path, recursive: true);
        upstream.Git("clone", "-q", upstream.Path, clone.Path);
        clone.Write("katas/02-double-channel-writes/Service.cs", "namespace X;\npublic sealed class Service { } // committed fix\n");
        clone.Git("commit", "-q", "-am", "My fix");

        var git = await Git.OpenAsync(clone.Root, TestContext.Current.CancellationToken);

        git!.Baseline.Should().Be(upstream.Git("rev-parse", "HEAD").Trim(), "the workshop as cloned is the baseline, not the learner's own commit");
        (await git.ChangedKatasAsync(TestContext.Current.CancellationToken)).Should().BeEquivalentTo(["02-double-channel-writes"]);
    }

    [Fact]
    public async Task Reset_puts_the_kata_back_and_removes_what_the_learner_added()
    {
        using var repo = Workshop();
        var kata = repo.Root.Katas[1];
        var original = File.ReadAllText(Path.Combine(kata.Directory, "Service.cs"));
        repo.Write("katas/02-double-channel-writes/Service.cs", "broken");
        repo.Write("katas/02-double-channel-writes/Mine.cs", "// added");
        repo.Write("katas/02-double-channel-writes/obj/keep.txt", "build output stays");
        repo.Write("katas/01-disposal-in-loops/Service.cs", "another kata's work stays");
        File.Delete(Path.Combine(kata.Directory, "README.md"));
        var git = (await Git.OpenAsync(repo.Root, TestContext.Current.CancellationToken))!;

        (await git.StatusAsync(kata, TestContext.Current.CancellationToken)).Should().BeEquivalentTo(
            "D\tkatas/02-double-channel-writes/README.md", "M\tkatas/02-double-channel-writes/Service.cs", "?\tkatas/02-double-channel-writes/Mine.cs");

        await git.RestoreAsync(kata, TestContext.Current.CancellationToken);

        File.ReadAllText(Path.Combine(kata.Directory, "Service.cs")).Should().Be(original);
        File.Exists(Path.Combine(kata.Directory, "README.md")).Should().BeTrue();
        File.Exists(Path.Combine(kata.Directory, "Mine.cs")).Should().BeFalse();
        File.Exists(Path.Combine(kata.Directory, "obj", "keep.txt")).Should().BeTrue();
        File.ReadAllText(Path.Combine(repo.Path, "katas", "01-disposal-in-loops", "Service.cs")).Should().Be("another kata's work stays");
        (await git.StatusAsync(kata, TestContext.Current.CancellationToken)).Should().BeEmpty();
    }

    [Fact]
    public async Task Without_git_every_kata_is_checked()
    {
        using var repo = new TempRepo().Kata("01-disposal-in-loops", "Disposal in loops");
        (await Git.OpenAsync(repo.Root, TestContext.Current.CancellationToken)).Should().BeNull();
        (await new Planner(repo.Root).LookAsync(false, TestContext.Current.CancellationToken)).Single().State.Should().Be(KataState.Unchecked);
    }
}
