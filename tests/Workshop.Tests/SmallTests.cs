namespace Workshop.Tests;

public sealed class KataFileTests
{
    [Theory]
    [InlineData("JobRunner.cs", true)]
    [InlineData("Sub/Folder/Helper.cs", true)]
    [InlineData("DoubleChannelWrites.csproj", true)]
    [InlineData("protos/secrets.proto", true)]
    [InlineData("obj/Debug/net10.0/DoubleChannelWrites.dll", false)]
    [InlineData("bin/Debug/net10.0/DoubleChannelWrites.dll", false)]
    [InlineData(@"obj\project.assets.json", false)]
    [InlineData("obj", false)]
    [InlineData("README.md", false)]
    [InlineData("HINTS.md", false)]
    [InlineData(".JobRunner.cs.swp", false)]
    [InlineData("JobRunner.cs~", false)]
    [InlineData("4913", false)]
    [InlineData(".#JobRunner.cs", false)]
    [InlineData("#JobRunner.cs#", false)]
    [InlineData(".vscode/settings.json", false)]
    [InlineData("JobRunner.cs.tmp", false)]
    public void Only_the_learner_s_code_counts_as_a_change(string path, bool relevant)
    {
        KataFiles.IsRelevant(path).Should().Be(relevant);
    }
}

public sealed class ModeTests
{
    [Fact]
    public void The_variable_wins_over_the_file_and_guided_is_the_default()
    {
        using var repo = new TempRepo();
        Modes.Effective(repo.StateDirectory, null).Should().Be((Modes.Guided, "the default", (string?)null));

        Modes.Save(repo.StateDirectory, Modes.Investigate);
        File.ReadAllText(Path.Combine(repo.StateDirectory, "mode")).Should().Be("investigate\n", "the tests read one word from .workshop/mode");
        Modes.Effective(repo.StateDirectory, null).Should().Be((Modes.Investigate, ".workshop/mode", (string?)null));
        Modes.Effective(repo.StateDirectory, " Guided ").Should().Be((Modes.Guided, "the variable WORKSHOP_MODE", (string?)null));
        Modes.Effective(repo.StateDirectory, "").Mode.Should().Be(Modes.Investigate, "an empty variable is no variable");
    }

    [Fact]
    public void A_word_that_is_no_mode_means_guided_and_says_why()
    {
        using var repo = new TempRepo().Write(".workshop/mode", "investigative\n");
        var (mode, _, problem) = Modes.Effective(repo.StateDirectory, null);

        mode.Should().Be(Modes.Guided);
        problem.Should().Be(".workshop/mode says \"investigative\", which is not a mode (guided or investigate)");
        Modes.Parse("INVESTIGATE").Should().Be(Modes.Investigate);
        Modes.Parse("loud").Should().BeNull();
    }
}

public sealed class OutputTests
{
    [Theory]
    [InlineData(false, null, "xterm-256color", false)]
    [InlineData(true, null, "xterm-256color", true)]
    [InlineData(false, "1", "xterm-256color", true)]
    [InlineData(false, "", "xterm", false)]
    [InlineData(false, null, "dumb", true)]
    public void Plain_text_when_redirected_or_NO_COLOR_is_set(bool redirected, string? noColor, string? term, bool plain)
    {
        Ui.IsPlain(redirected, noColor, term).Should().Be(plain);
    }

    [Fact]
    public void A_hint_s_code_and_bold_become_terminal_styles_and_brackets_stay_text()
    {
        Ui.MarkdownToMarkup("Count the calls to `WriteAsync` in **every** path of `list[0]`.")
            .Should().Be("Count the calls to [aqua]WriteAsync[/] in [bold]every[/] path of [aqua]list[[0]][/].");
    }

    [Fact]
    public void Build_errors_are_shown_with_paths_from_the_repository_root()
    {
        var root = new WorkshopRoot("/work/w");
        var output = """
              Determining projects to restore...
            /work/w/katas/02-double-channel-writes/JobRunner.cs(60,23): error CS1002: ; expected [/work/w/katas/02-double-channel-writes/DoubleChannelWrites.csproj]
            /work/w/katas/02-double-channel-writes/JobRunner.cs(60,23): error CS1002: ; expected [/work/w/katas/02-double-channel-writes/DoubleChannelWrites.csproj]
            /usr/share/dotnet/sdk/10.0.401/Microsoft.Common.targets(5,5): warning MSB3026: could not copy [/work/w/tests/X.Tests/X.Tests.csproj]
            /work/w/tests/X.Tests/X.Tests.csproj : error NU1101: Unable to find package Nope. [/work/w/tests/X.Tests/X.Tests.csproj::TargetFramework=net10.0]
            """;

        Builders.ErrorsIn(root, output).Should().Equal(
            "katas/02-double-channel-writes/JobRunner.cs(60,23): error CS1002: ; expected",
            "tests/X.Tests/X.Tests.csproj : error NU1101: Unable to find package Nope.");
    }

    [Fact]
    public void The_test_assembly_is_where_tools_Verify_finds_it()
    {
        Builders.TestAssemblyOf(Path.Combine("/w", "tests", "DoubleChannelWrites.Tests", "DoubleChannelWrites.Tests.csproj"))
            .Should().Be(Path.Combine("/w", "tests", "DoubleChannelWrites.Tests", "bin", "Debug", "net10.0", "DoubleChannelWrites.Tests.dll"));
    }

    [Fact]
    public void Verify_runs_tools_Verify_and_nothing_of_its_own()
    {
        var root = new WorkshopRoot("/w");
        Commands.VerifyCommand.VerifyArguments(root).Should().Equal("run", "--project", Path.Combine("/w", "tools", "Verify", "Verify.csproj"));
        File.Exists(Path.Combine(ThisRepository.Root.Path, "tools", "Verify", "Verify.csproj")).Should().BeTrue();
    }
}
