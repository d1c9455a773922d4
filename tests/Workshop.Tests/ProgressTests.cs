namespace Workshop.Tests;

public sealed class ProgressTests
{
    private static Kata K(string id, string title = "T") => new(id, int.Parse(id, System.Globalization.CultureInfo.InvariantCulture), $"{id}-kata", title, $"/w/katas/{id}-kata", $"/w/tests/K{id}.Tests/K{id}.Tests.csproj");

    private static KataProgress P(string id, KataState state, string detail = "", int shown = 0, int total = 4) => new(K(id), state, detail, shown, total);

    [Fact]
    public void The_next_kata_is_the_one_in_progress_else_the_first_not_started()
    {
        var katas = new[] { P("01", KataState.Solved), P("02", KataState.NotStarted), P("03", KataState.Failing), P("04", KataState.NotStarted) };
        ProgressLogic.Next(katas)!.Id.Should().Be("03");

        var noneInProgress = new[] { P("01", KataState.Solved), P("02", KataState.NotStarted), P("03", KataState.Solved) };
        ProgressLogic.Next(noneInProgress)!.Id.Should().Be("02");

        ProgressLogic.Next([P("01", KataState.BuildFailed)])!.Id.Should().Be("01", "a kata that does not build is in progress");
        ProgressLogic.Next([P("01", KataState.Solved), P("02", KataState.Unknown)]).Should().BeNull("a kata without tests is no one's next");
    }

    [Fact]
    public void After_solving_a_kata_the_next_one_is_another()
    {
        var katas = new[] { P("01", KataState.NotStarted), P("02", KataState.Unchecked), P("03", KataState.NotStarted) };
        ProgressLogic.Next(katas, after: katas[1].Kata)!.Id.Should().Be("01");
        ProgressLogic.Next([P("01", KataState.Solved), P("02", KataState.Failing)], after: K("02")).Should().BeNull();
    }

    [Fact]
    public void The_summary_line_shows_every_kata_in_number_order_and_where_the_learner_is()
    {
        var katas = new[]
        {
            P("01", KataState.Solved), P("02", KataState.Failing, "Leak detected: 68 async methods", shown: 3, total: 4),
            P("03", KataState.NotStarted), P("04", KataState.Solved), P("05", KataState.NotStarted),
        };

        ProgressLogic.SummaryLine(katas).Should().Be("01 ✓ 02 ✗ 03 · 04 ✓ 05 ·  2/5 solved · on 02: leak, 3/4 hints");
    }

    [Theory]
    [InlineData(KataState.BuildFailed, "JobRunner.cs(60,23): error CS1002: ; expected", "does not build")]
    [InlineData(KataState.Failing, "Expected every job to get exactly one result.", "a test fails")]
    [InlineData(KataState.Failing, "Xunit.Sdk.XunitException : Leak detected: 3 live FileStream", "leak")]
    [InlineData(KataState.Unchecked, "changed, not checked yet", "not checked")]
    public void The_summary_says_in_a_word_what_holds_the_learner_up(KataState state, string detail, string words)
    {
        ProgressLogic.SummaryLine([P("01", state, detail, shown: 1, total: 3)]).Should().Be($"01 ✗  0/1 solved · on 01: {words}, 1/3 hints");
    }

    [Fact]
    public void A_finished_workshop_says_so_and_a_fresh_one_says_nothing_more()
    {
        ProgressLogic.SummaryLine([P("01", KataState.Solved), P("02", KataState.Solved)]).Should().Be("01 ✓ 02 ✓  2/2 solved · all done");
        ProgressLogic.SummaryLine([P("01", KataState.NotStarted), P("02", KataState.NotStarted)]).Should().Be("01 · 02 ·  0/2 solved");
    }

    [Fact]
    public void A_kata_without_tests_is_marked_and_not_counted()
    {
        var noTests = new KataProgress(K("09") with { TestProject = null }, KataState.Unknown, "no tests yet", 0, 0);
        ProgressLogic.SummaryLine([P("01", KataState.Solved), noTests]).Should().Be("01 ✓ 09 ?  1/1 solved · all done");
    }
}
