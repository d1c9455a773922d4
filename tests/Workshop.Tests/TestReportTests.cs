namespace Workshop.Tests;

public sealed class TestReportTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    // The shape of xunit v3's -xml report, cut down to what the companion reads.
    private static string Report(params string[] tests) =>
        $"""<assemblies schema-version="3"><assembly name="Kata.Tests.dll" total="{tests.Length}"><collection name="c">{string.Concat(tests)}</collection></assembly></assemblies>""";

    private static string Passing(string name, bool memory = false) =>
        $"""<test name="DoubleChannelWrites.Tests.{name}" result="Pass" time="0.1">{Traits(memory)}</test>""";

    private static string Failing(string name, string message, bool memory = false) =>
        $"""<test name="DoubleChannelWrites.Tests.{name}" result="Fail" time="3.1">{Traits(memory)}<failure exception-type="Xunit.Sdk.XunitException"><message><![CDATA[{message}]]></message><stack-trace>at X</stack-trace></failure></test>""";

    private static string Traits(bool memory) =>
        memory ? """<traits><trait name="Kata" value="02-double-channel-writes" /><trait name="Memory" value="leak" /></traits>""" : """<traits><trait name="Kata" value="02-double-channel-writes" /></traits>""";

    private const string LeakMessage = "Leak detected: 68 async methods from DoubleChannelWrites are still pending (hints: katas/02-double-channel-writes/HINTS.md).\n"
        + "  68 × JobRunner.ScoreAsync, awaiting a channel operation\n      held by: JobRunner → BoundedChannel<JobResult> → BlockedWriteAsyncOperation<JobResult>";

    [Fact]
    public void Every_test_passing_is_solved()
    {
        var result = CheckResult.FromXunitXml(Report(Passing("JobRunnerTests.A", memory: true), Passing("JobRunnerTests.B")), At);

        result.Outcome.Should().Be(Outcome.Solved);
        result.Headline.Should().Be("all 2 tests pass");
        result.Failures.Should().BeEmpty();
    }

    [Fact]
    public void A_failing_memory_test_is_failing_and_its_message_is_kept_whole_with_the_retention_path()
    {
        var result = CheckResult.FromXunitXml(Report(
            Passing("JobRunnerTests.Every_job_gets_its_score"),
            Failing("JobRunnerTests.A_batch_leaves_no_worker_behind", LeakMessage, memory: true)), At);

        result.Outcome.Should().Be(Outcome.Failing);
        result.Headline.Should().Be("Leak detected: 68 async methods from DoubleChannelWrites are still pending (hints: katas/02-double-channel-writes/HINTS.md).");
        var failure = result.Failures.Should().ContainSingle().Subject;
        failure.ShortName.Should().Be("JobRunnerTests.A_batch_leaves_no_worker_behind");
        failure.IsMemoryTest.Should().BeTrue();
        failure.Message.Should().Be(LeakMessage);
    }

    [Fact]
    public void The_kata_s_own_leak_test_leads_then_its_dotMemory_style_twin_then_the_other_failures()
    {
        var result = CheckResult.FromXunitXml(Report(
            Failing("AaaTests.A_result_is_right", "Expected the job's result to be its score."),
            Failing("DotMemoryStyleTests.A_batch_leaves_no_worker_waiting", "Leak detected: 67 objects of type JobRunner+<ScoreAsync>d__9", memory: true),
            Failing("JobRunnerTests.A_batch_leaves_no_worker_behind", LeakMessage, memory: true)), At);

        result.Failures.Select(f => f.ShortName).Should().Equal(
            "JobRunnerTests.A_batch_leaves_no_worker_behind", "DotMemoryStyleTests.A_batch_leaves_no_worker_waiting", "AaaTests.A_result_is_right");
        result.Headline.Should().StartWith("Leak detected: 68 async methods");
    }

    [Fact]
    public void A_message_reads_as_the_test_wrote_it_not_as_xunit_escaped_it_for_the_report()
    {
        // What xunit v3 4.0.2 writes for a message with quotes, a backslash, a tab, a new line, U+0001, a lone surrogate, and
        // a backslash followed by "x01" (which must stay as written).
        const string Escaped = "Leak detected: where Type.Like(\\\"Jobs+<Run>*\\\") a\\\\b \\\"q\\\" \\tx\nnext \\x01 \\xd800 \\\\x01";

        var failure = CheckResult.FromXunitXml(Report(Failing("JobRunnerTests.A", Escaped, memory: true)), At).Failures.Single();

        failure.Message.Should().Be("Leak detected: where Type.Like(\"Jobs+<Run>*\") a\\b \"q\" \tx\nnext \u0001 \ud800 \\x01");
    }

    [Fact]
    public void A_wrong_fix_that_breaks_the_work_fails_with_that_test_s_message()
    {
        var result = CheckResult.FromXunitXml(Report(
            Passing("JobRunnerTests.A_batch_leaves_no_worker_behind", memory: true),
            Failing("JobRunnerTests.A_missing_key_gets_an_error_result", "Expected the job for risk:user:7 to get an error result, but it got none.\nMore detail.")), At);

        result.Outcome.Should().Be(Outcome.Failing);
        result.Headline.Should().Be("Expected the job for risk:user:7 to get an error result, but it got none.");
    }

    [Fact]
    public void Skipped_tests_fail_nothing_and_no_tests_at_all_is_no_result()
    {
        CheckResult.FromXunitXml(Report(Passing("T.A"), """<test name="K.T.B" result="Skip"><reason>later</reason></test>"""), At).Outcome.Should().Be(Outcome.Solved);
        var empty = CheckResult.FromXunitXml(Report(), At);
        empty.Outcome.Should().Be(Outcome.NoResults);
        empty.Headline.Should().Be("the test project ran no test");
    }

    [Fact]
    public void An_error_outside_any_test_is_a_failure_with_its_message()
    {
        var xml = """<assemblies><assembly name="K.dll"><errors><error type="fixture-cleanup" name="K.T"><failure exception-type="System.InvalidOperationException"><message>System.InvalidOperationException : the fixture broke</message></failure></error></errors><collection>"""
            + Passing("T.A") + "</collection></assembly></assemblies>";

        var result = CheckResult.FromXunitXml(xml, At);

        result.Outcome.Should().Be(Outcome.Failing);
        result.Problems.Should().Equal("K.T: System.InvalidOperationException : the fixture broke");
    }

    [Fact]
    public void A_build_failure_leads_with_its_first_error()
    {
        var result = CheckResult.BuildFailed(["katas/02-double-channel-writes/JobRunner.cs(60,23): error CS1002: ; expected", "second"], At);

        result.Outcome.Should().Be(Outcome.BuildFailed);
        result.Headline.Should().Be("katas/02-double-channel-writes/JobRunner.cs(60,23): error CS1002: ; expected");
        ProgressLogic.StateOf(result).Should().Be((KataState.BuildFailed, result.Headline));
    }

    [Fact]
    public void The_state_of_a_kata_follows_its_result()
    {
        ProgressLogic.StateOf(CheckResult.FromXunitXml(Report(Passing("T.A")), At)).Should().Be((KataState.Solved, "solved"));
        ProgressLogic.StateOf(CheckResult.FromXunitXml(Report(Failing("T.A", LeakMessage, memory: true)), At)).State.Should().Be(KataState.Failing);
        ProgressLogic.StateOf(CheckResult.NoResults("the tests reported nothing (exit code 134)", At)).Should().Be(
            (KataState.Failing, "the tests reported nothing (exit code 134)"), "a crash of the test process is the learner's code failing too");
    }

    [Fact]
    public void A_result_survives_its_trip_through_the_results_file()
    {
        using var repo = new TempRepo();
        var store = new ResultStore(repo.StateDirectory);
        var result = CheckResult.FromXunitXml(Report(Passing("T.A"), Failing("T.B", LeakMessage, memory: true)), At);

        store.Save("02-double-channel-writes", "abc", result);

        var read = store.Find("02-double-channel-writes", "abc");
        read.Should().NotBeNull();
        read!.Outcome.Should().Be(Outcome.Failing);
        read.Tests.Should().BeEquivalentTo(result.Tests);
        read.Headline.Should().Be(result.Headline);
        store.Find("02-double-channel-writes", "another fingerprint").Should().BeNull("a result counts only for the files it was made from");
        store.Find("04-unbounded-caches", "abc").Should().BeNull();
    }
}
