namespace Workshop.Tests;

public sealed class HintTests
{
    private const string HintsFile = """
        # Hints · 02 Double channel writes

        <details>
        <summary>Hint 1: count the writes</summary>

        Follow a job whose key is missing through `ScoreAsync`, and count the calls to `WriteAsync`.

        </details>

        <details>
        <summary>Hint 2: where a catch block goes next</summary>

        When a `catch` block finishes, execution continues after the whole statement.

        - a list item
          with a second line

        </details>

        <details>
        <summary>Hint 3: almost the answer &amp; more</summary>

        Leave the method right there.

        </details>
        """;

    [Fact]
    public void Each_details_block_is_one_hint_with_its_number_title_and_text()
    {
        var hints = HintParser.Parse(HintsFile);

        hints.Select(h => h.Number).Should().Equal(1, 2, 3);
        hints.Select(h => h.Title).Should().Equal("count the writes", "where a catch block goes next", "almost the answer & more");
        hints[0].Text.Should().Be("Follow a job whose key is missing through `ScoreAsync`, and count the calls to `WriteAsync`.");
        hints[1].Text.Should().Be("When a `catch` block finishes, execution continues after the whole statement.\n\n- a list item\n  with a second line");
    }

    [Fact]
    public void Windows_line_endings_and_summaries_without_a_number_are_read_too()
    {
        var hints = HintParser.Parse("<details>\r\n<summary>Look at the loop</summary>\r\n\r\nWhich loop?\r\n</details>\r\n\r\n<details><summary>Hint 7 · Later</summary>Text</details>");

        hints.Should().HaveCount(2);
        hints[0].Should().Be(new Hint(1, "Look at the loop", "Which loop?"));
        hints[1].Should().Be(new Hint(7, "Later", "Text"));
    }

    [Fact]
    public void The_readme_hints_section_ends_at_the_next_section()
    {
        var readme = "# 02 · X\n\n## Your task\n\n<details><summary>Hint 9: not a hint</summary>no</details>\n\n## Hints\n\n"
            + "<details>\n<summary>Hint 1: first</summary>\n\nOne.\n</details>\n\n## Going further\n\n<details><summary>Hint 2: not a hint either</summary>no</details>\n";

        var section = HintParser.HintsSection(readme);

        HintParser.Parse(section!).Should().ContainSingle().Which.Should().Be(new Hint(1, "first", "One."));
        HintParser.HintsSection("# 02 · X\n\nNo hints here.\n").Should().BeNull();
    }

    [Fact]
    public void Hints_come_from_HINTS_md_and_else_from_the_readme()
    {
        using var repo = new TempRepo().Kata("02-double-channel-writes", "Double channel writes")
            .Write("katas/02-double-channel-writes/README.md", "# 02 · Double channel writes\n\n## Hints\n\n<details>\n<summary>Hint 1: from the readme</summary>\n\nR.\n</details>\n");
        var kata = repo.Root.Katas.Single();

        var fromReadme = HintParser.Load(kata);
        fromReadme.Source.Should().Be("katas/02-double-channel-writes/README.md");
        fromReadme.Hints.Single().Title.Should().Be("from the readme");

        repo.Write("katas/02-double-channel-writes/HINTS.md", HintsFile);
        var fromHintsFile = HintParser.Load(kata);
        fromHintsFile.Source.Should().Be("katas/02-double-channel-writes/HINTS.md");
        fromHintsFile.Hints.Should().HaveCount(3);
    }

    [Fact]
    public void Hints_are_shown_one_at_a_time_and_the_count_is_kept_per_kata()
    {
        using var repo = new TempRepo();
        var hints = HintParser.Parse(HintsFile);
        var ledger = new HintLedger(repo.StateDirectory);

        ledger.RevealNext("02-double-channel-writes", hints).Should().Be(new HintReveal(hints[0], 1, 3));
        new HintLedger(repo.StateDirectory).RevealNext("02-double-channel-writes", hints).Should().Be(new HintReveal(hints[1], 2, 3), "the count outlives the process");
        ledger.RevealNext("04-unbounded-caches", hints).Should().Be(new HintReveal(hints[0], 1, 3), "each kata has its own count");
        ledger.RevealNext("02-double-channel-writes", hints).Should().Be(new HintReveal(hints[2], 3, 3));
        ledger.RevealNext("02-double-channel-writes", hints).Should().Be(new HintReveal(null, 3, 3), "after the last hint there is none");
        ledger.Shown("02-double-channel-writes").Should().Be(3);
        ledger.All().Should().BeEquivalentTo(new Dictionary<string, int> { ["02-double-channel-writes"] = 3, ["04-unbounded-caches"] = 1 });
        File.Exists(Path.Combine(repo.StateDirectory, "hints.json")).Should().BeTrue();
    }

    [Fact]
    public void A_ladder_that_got_shorter_never_shows_a_hint_past_its_end()
    {
        using var repo = new TempRepo();
        var ledger = new HintLedger(repo.StateDirectory);
        ledger.Save("02-double-channel-writes", 5);

        ledger.RevealNext("02-double-channel-writes", HintParser.Parse(HintsFile)).Should().Be(new HintReveal(null, 3, 3));
        ledger.Save("02-double-channel-writes", 0);
        ledger.All().Should().BeEmpty();
    }

    [Fact]
    public void A_damaged_count_file_starts_the_count_again()
    {
        using var repo = new TempRepo().Write(".workshop/hints.json", "{ not json");
        var ledger = new HintLedger(repo.StateDirectory);

        ledger.Shown("02-double-channel-writes").Should().Be(0);
        ledger.RevealNext("02-double-channel-writes", HintParser.Parse(HintsFile)).Shown.Should().Be(1);
    }

    [Fact]
    public void Every_kata_of_this_workshop_has_a_ladder_of_hints_numbered_from_one()
    {
        foreach (var kata in ThisRepository.Root.Katas)
        {
            var file = HintParser.Load(kata);
            file.Hints.Should().HaveCountGreaterThanOrEqualTo(2, $"{file.Source} should hold the hints of {kata.Name}");
            file.Hints.Select(h => h.Number).Should().Equal(Enumerable.Range(1, file.Hints.Count), $"the hints in {file.Source} count up from 1");
            file.Hints.Should().OnlyContain(h => h.Title.Length > 0 && h.Text.Length > 0, $"every hint in {file.Source} has a title and a text");
        }
    }
}
