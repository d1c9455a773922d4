using System.Runtime.CompilerServices;
using HeapAssert.DotMemoryStyle;

namespace HeapAssert.Tests;

public interface IListener;

public interface IHandler<T>;

public class Listener : IListener;

public sealed class LoudListener : Listener, IHandler<string>;

public sealed class Quiet;

internal static class Kept
{
    public static List<object>? s_objects;
    public static List<object>? s_more;
}

public sealed class DotMemoryStyleTests
{
    [Fact]
    public void Counts_the_objects_of_a_type_and_their_bytes()
    {
        Kept.s_objects = [.. Enumerable.Range(0, 1_234).Select(_ => new Widget())];
        try
        {
            var expectedBytes = Heap.Snapshot().Objects<Widget>().Bytes;
            dotMemory.Check(memory =>
            {
                var widgets = memory.GetObjects(where => where.Type.Is<Widget>());

                widgets.ObjectsCount.Should().Be(1_234);
                widgets.SizeInBytes.Should().Be(expectedBytes);
                memory.ObjectsCount.Should().BeGreaterThan(1_234);
                memory.SizeInBytes.Should().BeGreaterThan(expectedBytes);
            });
        }
        finally
        {
            Kept.s_objects = null;
        }
    }

    [Fact]
    public void Type_Is_is_the_exact_type_and_a_generic_definition_is_every_closed_type()
    {
        Kept.s_objects = [new Listener(), new Listener(), new LoudListener(), new Box<Gadget>(new Gadget()), new Box<Quiet>(new Quiet())];
        try
        {
            dotMemory.Check(memory =>
            {
                memory.GetObjects(where => where.Type.Is<Listener>()).ObjectsCount.Should().Be(2, "objects of a derived type are not of the type");
                memory.GetObjects(where => where.Type.Is(typeof(Listener), typeof(LoudListener))).ObjectsCount.Should().Be(3);
                memory.GetObjects(where => where.Type == typeof(LoudListener)).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Type.Is(typeof(Box<>))).ObjectsCount.Should().Be(2);
                memory.GetObjects(where => where.Type.Is<Box<Quiet>>()).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Type.IsNot<Listener>()).ObjectsCount.Should().Be(memory.ObjectsCount - 2);
                memory.GetObjects(where => where.Type != typeof(Listener)).ObjectsCount.Should().Be(memory.ObjectsCount - 2);
            });
        }
        finally
        {
            Kept.s_objects = null;
        }
    }

    [Fact]
    public void Type_Like_matches_the_recorded_name_with_wildcards()
    {
        Kept.s_objects = [new Box<Gadget>(new Gadget()), new Box<Quiet>(new Quiet()), MakeClosure()];
        try
        {
            dotMemory.Check(memory =>
            {
                memory.GetObjects(where => where.Type.Like("HeapAssert.Tests.Box<*>")).ObjectsCount.Should().Be(2);
                memory.GetObjects(where => where.Type.Like("HeapAssert.Tests.Box<HeapAssert.Tests.Quiet>")).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Type.Like("HeapAssert.Tests.Box")).ObjectsCount.Should().Be(0, "without a wildcard the name must match exactly");
                memory.GetObjects(where => where.Type.Like("HeapAssert.Tests.DotMemoryStyleTests+<>c__DisplayClass*")).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Type.NotLike("HeapAssert.Tests.Box<*>")).ObjectsCount.Should().Be(memory.ObjectsCount - 2);
            });
        }
        finally
        {
            Kept.s_objects = null;
        }
    }

    [Fact]
    public void Interface_Is_includes_what_base_types_implement_and_open_generic_interfaces()
    {
        Kept.s_objects = [new Listener(), new LoudListener(), new Quiet()];
        try
        {
            dotMemory.Check(memory =>
            {
                memory.GetObjects(where => where.Interface.Is<IListener>()).ObjectsCount.Should().Be(2, "LoudListener implements it through Listener");
                memory.GetObjects(where => where.Interface.Is<IHandler<string>>()).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Interface.Is(typeof(IHandler<>))).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Interface == typeof(IListener) & where.Type.IsNot<Listener>()).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Interface.IsNot<IListener>() & where.Namespace.Like("HeapAssert.Tests") & where.Type.Is<Quiet>())
                    .ObjectsCount.Should().Be(1);
            });
        }
        finally
        {
            Kept.s_objects = null;
        }
    }

    [Fact]
    public void Namespace_and_assembly_filters_combine_and_chained_queries_narrow()
    {
        Kept.s_objects = [new Quiet(), new Quiet(), new Quiet[4], new Gadget()];
        try
        {
            var assembly = typeof(Quiet).Assembly;
            dotMemory.Check(memory =>
            {
                var ours = memory.GetObjects(where => where.Namespace.Like("HeapAssert.Tests"));
                ours.GetObjects(where => where.Type.Is<Quiet>()).ObjectsCount.Should().Be(2);
                ours.GetObjects(where => where.Type.Is<Quiet[]>()).ObjectsCount.Should().Be(1, "an array belongs to its element type's namespace");
                memory.GetObjects(where => where.Namespace.Like("HeapAssert")).GetObjects(where => where.Type.Is<Quiet>()).ObjectsCount
                    .Should().Be(0, "without a wildcard a namespace matches exactly, not the ones below it");
                memory.GetObjects(where => where.Namespace.Like("HeapAssert*") & where.Type.Is<Quiet>()).ObjectsCount.Should().Be(2);

                memory.GetObjects(where => where.Assembly.Is(assembly) & where.Type.Is<Quiet>()).ObjectsCount.Should().Be(2);
                memory.GetObjects(where => where.Assembly.Like("HeapAssert.Tests") & where.Type.Is<Gadget>()).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Assembly.Like(assembly.FullName!) & where.Type.Is<Gadget>()).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Assembly.Like("HeapAssert.Te*") & where.Type.Is<Gadget>()).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Assembly.IsNot(assembly) & where.Type.Is<Gadget>()).ObjectsCount.Should().Be(0);
                memory.GetObjects(where => where.Assembly.Is(typeof(int).Assembly) | where.Type.Is<Gadget>())
                    .GetObjects(where => where.Type.Is<Gadget>()).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => !where.Type.Is<Quiet>() & where.Namespace.Like("HeapAssert.Tests") & where.Type.Like("*Quiet*"))
                    .ObjectsCount.Should().Be(1, "only the Quiet[] is left");
            });
        }
        finally
        {
            Kept.s_objects = null;
        }
    }

    [Fact]
    public void GroupByType_lists_the_set_by_type()
    {
        Kept.s_objects = [new Quiet(), new Quiet(), new Gadget()];
        try
        {
            dotMemory.Check(memory =>
            {
                var groups = memory.GetObjects(where => where.Type.Is(typeof(Quiet), typeof(Gadget))).GroupByType();

                groups.Select(g => (g.Type, g.ObjectsCount)).Should().BeEquivalentTo([(typeof(Quiet), 2), (typeof(Gadget), 1)]);
            });
        }
        finally
        {
            Kept.s_objects = null;
        }
    }

    [Fact]
    public void A_difference_tells_new_survived_and_dead_objects_apart_even_after_objects_moved()
    {
        var (checkPoint, before) = KeepSurvivorsAndDoomed();
        var moved = 0;
        try
        {
            Kept.s_more = [.. Enumerable.Range(0, 30).Select(_ => new Gadget())];
            dotMemory.Check(memory =>
            {
                var difference = memory.GetDifference(checkPoint);

                difference.GetSurvivedObjects(where => where.Type.Is<Quiet>()).ObjectsCount.Should().Be(40);
                difference.GetSurvivedObjects(where => where.Type.Is<Quiet>(), Origin.OldSnapshot).ObjectsCount.Should().Be(40);
                difference.GetDeadObjects(where => where.Type.Is<Widget>()).ObjectsCount.Should().Be(25);
                difference.GetNewObjects(where => where.Type.Is<Gadget>()).ObjectsCount.Should().Be(30);
                difference.GetNewObjects(where => where.Type.Is<Quiet>()).ObjectsCount.Should().Be(0, "the survivors are not new, even where they moved");
                difference.GetDeadObjects().GetObjects(where => where.Type.Is<Quiet>()).ObjectsCount.Should().Be(0);
                moved = MovedSurvivors(difference.GetSurvivedObjects(where => where.Type.Is<Quiet>()), before);
            });
        }
        finally
        {
            Kept.s_objects = null;
            Kept.s_more = null;
        }

        moved.Should().BeGreaterThan(0, "the compacting collections in between must have moved some survivors, or this test proves nothing about identity");
    }

    [Fact]
    public void Nothing_is_new_between_two_checks_but_what_the_test_made()
    {
        var checkPoint = dotMemory.Check();
        dotMemory.Check(memory =>
        {
            var own = memory.GetDifference(checkPoint).GetNewObjects(where => where.Namespace.Like("HeapAssert.DotMemoryStyle*"));
            own.ObjectsCount.Should().Be(0, "the checkpoints' own bookkeeping is never counted");
            memory.GetObjects(where => where.Type.Like("HeapAssert.DotMemoryStyle.*")).ObjectsCount.Should().Be(0);
        });
    }

    [Fact]
    public void A_failed_assertion_becomes_a_leak_message_with_the_count_the_bytes_and_the_path()
    {
        Kept.s_objects = [.. Enumerable.Range(0, 300).Select(_ => new Widget())];
        try
        {
            var check = () => dotMemory.Check(memory =>
                Assert.True(memory.GetObjects(where => where.Type.Is<Widget>()).ObjectsCount <= 10, "at most 10 widgets may stay alive"));

            var failure = check.Should().Throw<Exception>().Which;

            failure.Message.Should().StartWith("Leak detected: 300 objects (")
                .And.Contain("where Type.Is(Widget) failed the dotMemory-style check")
                .And.Contain("at most 10 widgets may stay alive")
                .And.Contain("Held by: static Kept.s_objects → List<Object> → Object[] → Widget");
            Leak.IsLeakFailure(failure).Should().BeTrue();
        }
        finally
        {
            Kept.s_objects = null;
        }
    }

    [Fact]
    public void A_failed_assertion_also_names_the_other_sets_the_check_looked_at()
    {
        Kept.s_objects = [new Quiet(), new Gadget()];
        try
        {
            var check = () => dotMemory.Check(memory =>
            {
                memory.GetObjects(where => where.Type.Is<Quiet>()).ObjectsCount.Should().Be(1);
                memory.GetObjects(where => where.Type.Is<Gadget>()).ObjectsCount.Should().Be(0);
            });

            check.Should().Throw<Exception>().Which.Message.Should().StartWith("Leak detected: 1 object (")
                .And.Contain("where Type.Is(Gadget)")
                .And.Contain("It also looked at 1 object (").And.Contain("where Type.Is(Quiet)");
        }
        finally
        {
            Kept.s_objects = null;
        }
    }

    [Fact]
    public void A_set_of_one_type_selected_by_name_names_the_type_and_the_output_gets_a_line_per_snapshot()
    {
        Kept.s_objects = [new Quiet(), new Quiet()];
        var lines = new List<string>();
        DotMemoryUnitTestOutput.SetOutputMethod(lines.Add);
        try
        {
            dotMemory.Check(memory =>
                memory.GetObjects(where => where.Type.Like("*.Qu?et", "*.Qu*et")).ToString()
                    .Should().Be("2 objects of type Quiet (48 B) where Type.Like(\"*.Qu?et\", \"*.Qu*et\")", "? is no wildcard, * is"));

            lines.Should().ContainSingle().Which.Should().StartWith("dotMemory.Check: ").And.Contain(" live objects, ");
        }
        finally
        {
            Kept.s_objects = null;
            DotMemoryUnitTestOutput.SetOutputMethod(_ => { });
        }
    }

    [Fact]
    public void An_error_that_is_not_an_assertion_goes_through_unchanged()
    {
        var check = () => dotMemory.Check(_ => throw new InvalidOperationException("a bug in the test"));

        check.Should().Throw<InvalidOperationException>().WithMessage("a bug in the test");
    }

    [Fact]
    public void A_checkpoint_taken_after_the_snapshot_cannot_be_its_baseline()
    {
        Memory? first = null;
        dotMemory.Check(memory => first = memory);
        var later = dotMemory.Check();

        var compare = () => first!.GetDifference(later);

        compare.Should().Throw<InvalidOperationException>().WithMessage("*earlier checkpoint*");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (MemoryCheckPoint CheckPoint, HashSet<ulong> Addresses) KeepSurvivorsAndDoomed()
    {
        // Garbage between the survivors, so that the compaction after the checkpoint has something to close up.
        var objects = new List<object>();
        var garbage = new List<object>();
        for (var i = 0; i < 40; i++)
        {
            garbage.Add(new byte[1024]);
            objects.Add(new Quiet());
        }

        Kept.s_objects = objects;
        Kept.s_more = [.. Enumerable.Range(0, 25).Select(_ => new Widget())];
        Kept.s_more.Add(garbage);
        var checkPoint = dotMemory.Check();
        Kept.s_more = null;
        var state = checkPoint.State!;
        var addresses = state.Visible.Where(i => state.Type(state.TypeIndexOf(i)).Runtime == typeof(Quiet)).Select(i => state.Data.ObjectAddresses[i]).ToHashSet();
        return (checkPoint, addresses);
    }

    private static int MovedSurvivors(DotMemoryStyle.ObjectSet survivors, HashSet<ulong> before) =>
        survivors.Objects.Count(i => !before.Contains(survivors.State.Data.ObjectAddresses[i]));

    private static Action MakeClosure()
    {
        var quiet = new Quiet();
        return () => GC.KeepAlive(quiet);
    }
}
