using System.Runtime.CompilerServices;
using HeapAssert.DotMemoryStyle;
using Workshop.Testing;

namespace HeapAssert.Tests;

/// <summary>
/// The workshop's guided and investigate modes (tests/Shared/WorkshopMode.cs): how a mode is chosen, and what each one
/// lets a leak failure say. Every test puts HeapAssert's settings back as they were (the tests of this project do not
/// run in parallel).
/// </summary>
public sealed class WorkshopModeTests
{
    private const string Kata = "04-unbounded-caches";

    [Theory]
    [InlineData(null, null, "guided")]
    [InlineData(null, "investigate\n", "investigate")]
    [InlineData("", " Investigate ", "investigate")]
    [InlineData("guided", "investigate", "guided")]
    [InlineData("investigate", "guided", "investigate")]
    [InlineData(null, "", "guided")]
    public void The_variable_wins_over_the_file_and_guided_is_the_default(string? variable, string? file, string expected)
    {
        var (mode, problem) = WorkshopMode.Resolve(variable, file);

        mode.Should().Be(expected);
        problem.Should().BeNull();
    }

    [Fact]
    public void A_word_that_is_no_mode_gives_the_guided_message_and_says_so()
    {
        var (mode, problem) = WorkshopMode.Resolve(null, "investigating");

        mode.Should().Be(WorkshopMode.Guided);
        problem.Should().Contain(".workshop").And.Contain("\"investigating\"").And.Contain("guided or investigate");
    }

    [Fact]
    public void The_mode_file_is_found_at_the_repository_root_from_a_build_folder_below_it()
    {
        var root = Directory.CreateTempSubdirectory("workshop-mode-");
        try
        {
            File.WriteAllText(Path.Combine(root.FullName, "Workshop.sln"), "");
            var bin = Directory.CreateDirectory(Path.Combine(root.FullName, "tests", "X.Tests", "bin", "Debug", "net10.0"));

            WorkshopMode.ReadFile(bin.FullName).Should().BeNull("there is no mode file yet");

            Directory.CreateDirectory(Path.Combine(root.FullName, ".workshop"));
            File.WriteAllText(Path.Combine(root.FullName, ".workshop", "mode"), "investigate\n");
            WorkshopMode.ReadFile(bin.FullName).Should().Be("investigate\n");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Guided_gives_the_whole_diagnosis_and_ends_with_the_hints()
    {
        var message = InMode(WorkshopMode.Guided, HeapAssertionFailure);

        message.Should().StartWith("Leak detected: 50 live Widget (")
            .And.Contain("after 50 report lookups, expected at most 10 because a cause the learner is to find.")
            .And.Contain("Held by: static ModeHolder.s_widgets → List<Widget> → Widget[] → Widget")
            .And.EndWith(Environment.NewLine + "(hints: katas/04-unbounded-caches/HINTS.md)");
    }

    [Fact]
    public void Investigate_reports_the_heap_assertion_symptom_without_path_cause_or_hint()
    {
        var message = InMode(WorkshopMode.Investigate, HeapAssertionFailure);

        message.Should().StartWith("Leak detected: 50 live Widget (")
            .And.Contain("B) after 50 report lookups, expected at most 10.");
        ShouldBeASymptomOnly(message, lines: 2);
    }

    [Fact]
    public void Investigate_reports_pending_work_by_method_count_and_bytes_without_what_holds_it()
    {
        var baseline = Heap.Snapshot();
        using var stop = new CancellationTokenSource();
        var poller = StartSleepers(stop.Token, 3);
        try
        {
            var message = InMode(WorkshopMode.Investigate, () => Heap.Snapshot().Should().After("3 polls and a stop")
                .HaveNoLingeringWorkFrom(typeof(Poller).Assembly, baseline, because: "a cause the learner is to find (hints: x)"));

            message.Should().StartWith("Leak detected: 3 async methods from HeapAssert.Tests are still pending after 3 polls and a stop, expected none.")
                .And.MatchRegex(@"\n  3 × Poller\.SleepAsync \([0-9.,]+ [KM]?B of state machines\)\r?\n");
            message.Should().NotContain("Task.Delay", "what a method awaits is for the learner to find");
            ShouldBeASymptomOnly(message, lines: 3);
        }
        finally
        {
            stop.Cancel();
        }

        GC.KeepAlive(poller);
    }

    [Fact]
    public void Investigate_keeps_the_words_of_a_dotMemory_style_check_and_leaves_out_what_holds_the_objects()
    {
        var message = InMode(WorkshopMode.Investigate, () =>
        {
            ModeHolder.s_widgets = [.. Enumerable.Range(0, 30).Select(_ => new Widget())];
            try
            {
                dotMemory.Check(memory => Assert.True(
                    memory.GetObjects(where => where.Type.Is<Widget>()).ObjectsCount <= 10, "at most 10 Widget after 30 lookups"));
            }
            finally
            {
                ModeHolder.s_widgets = null;
            }
        });

        message.Should().StartWith("Leak detected: 30 objects (").And.Contain("where Type.Is(Widget) failed the dotMemory-style check.")
            .And.Contain("The check: at most 10 Widget after 30 lookups");
        ShouldBeASymptomOnly(message, lines: 3);
    }

    [Fact]
    public void Investigate_keeps_only_the_headline_of_a_leak_measured_outside_the_heap()
    {
        var message = InMode(WorkshopMode.Investigate, () =>
            Leak.Fail("12 files open after a batch of 12, expected at most 4", "Held by: a list in the importer", "a cause (hints: x)"));

        message.Should().StartWith("Leak detected: 12 files open after a batch of 12, expected at most 4.");
        ShouldBeASymptomOnly(message, lines: 2);
    }

    [Fact]
    public void Without_a_mode_HeapAssert_reports_in_full_with_no_footer()
    {
        Leak.Detail.Should().Be(LeakDetail.Full, "HeapAssert used as a package knows nothing of the workshop's modes");
        Leak.Footer.Should().BeEmpty();

        var act = () => Leak.Fail("3 things", "Held by: a list", "of reasons");

        act.Should().Throw<Exception>().Which.Message.Should()
            .Be("Leak detected: 3 things because of reasons." + Environment.NewLine + "Held by: a list");
    }

    private static void ShouldBeASymptomOnly(string message, int lines)
    {
        message.Should().NotContain("Held by", "the retention path is for the learner to find")
            .And.NotContain("held by")
            .And.NotContain("→")
            .And.NotContain("because", "the test's explanation of the cause is left out")
            .And.NotContain("hints", "an investigate message gives no hint")
            .And.NotContain("HINTS.md")
            .And.EndWith(Environment.NewLine + WorkshopMode.HowToInvestigate(Kata));
        message.Split(Environment.NewLine).Should().HaveCount(lines, "the message is the symptom, then one line on how to investigate");
        WorkshopMode.HowToInvestigate(Kata).Should().Contain("Heap.Snapshot()").And.Contain("Diff").And.Contain("ShortestPath")
            .And.Contain("dotnet-gcdump").And.Contain("dotnet run --project tools/Workshop -- mode guided")
            .And.Contain($"notebooks/{Kata}.ipynb");
    }

    private static void HeapAssertionFailure()
    {
        ModeHolder.s_widgets = [.. Enumerable.Range(0, 50).Select(_ => new Widget())];
        try
        {
            Heap.Snapshot().Should().After("50 report lookups").HaveAtMost(10).LiveInstancesOf<Widget>(
                because: "a cause the learner is to find");
        }
        finally
        {
            ModeHolder.s_widgets = null;
        }
    }

    /// <summary>Runs <paramref name="fail"/> with the workshop in <paramref name="mode"/> and returns its leak message.</summary>
    private static string InMode(string mode, Action fail)
    {
        WorkshopMode.Apply(mode, Kata);
        try
        {
            var failure = fail.Should().Throw<Exception>().Which;
            Leak.IsLeakFailure(failure).Should().BeTrue("every leak failure starts with the prefix, in either mode: {0}", failure.Message);
            return failure.Message;
        }
        finally
        {
            Leak.Detail = LeakDetail.Full;
            Leak.Footer = "";
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Poller StartSleepers(CancellationToken token, int count)
    {
        var poller = new Poller();
        for (var i = 0; i < count; i++)
        {
            _ = poller.SleepAsync(token);
        }

        return poller;
    }
}

internal static class ModeHolder
{
    public static List<Widget>? s_widgets;
}
