using System.Runtime.CompilerServices;

namespace HeapAssert.Tests;

public sealed class Widget
{
    public byte[] Payload { get; } = new byte[64];
}

public sealed class Gadget;

public sealed class Box<T>(T value)
{
    public T Value { get; } = value;
}

internal static class Holder
{
    public static List<Widget>? s_widgets;
    public static Widget? s_single;
    public static Action? s_callback;
    public static List<Box<Gadget>>? s_boxes;
}

public sealed class HeapQueryTests
{
    [Fact]
    public void Counts_exactly_the_live_instances_of_a_type()
    {
        Holder.s_widgets = [.. Enumerable.Range(0, 1_234).Select(_ => new Widget())];
        try
        {
            var widgets = Heap.Snapshot().Objects<Widget>();

            widgets.Count.Should().Be(1_234);
            widgets.Bytes.Should().Be(1_234 * WidgetSize());
        }
        finally
        {
            Holder.s_widgets = null;
        }
    }

    [Fact]
    public void Does_not_count_an_object_that_is_no_longer_reachable()
    {
        AllocateAndDrop();

        Heap.Snapshot().Objects<Gadget>().Count.Should().Be(0);
    }

    [Fact]
    public void Finds_a_single_leaked_object_and_names_the_static_field_that_holds_it()
    {
        KeepOneWidget();
        try
        {
            var path = Heap.Snapshot().Objects<Widget>().ShortestPath();

            path.Should().NotBeNull();
            path!.Root.Should().Be("static Holder.s_single");
            path.Steps.Should().Equal("Widget");
        }
        finally
        {
            Holder.s_single = null;
        }
    }

    [Fact]
    public void Follows_a_path_through_a_closure()
    {
        Holder.s_callback = MakeCallback();
        try
        {
            var path = Heap.Snapshot().Objects<Widget>().ShortestPath()!.ToString();

            path.Should().StartWith("static Holder.s_callback → Action → HeapQueryTests+<>c__DisplayClass").And.EndWith("→ Widget");
        }
        finally
        {
            Holder.s_callback = null;
        }
    }

    [Fact]
    public void Counts_by_generic_definition_namespace_and_assembly()
    {
        Holder.s_boxes = [.. Enumerable.Range(0, 10).Select(_ => new Box<Gadget>(new Gadget()))];
        try
        {
            var heap = Heap.Snapshot();

            heap.Objects<Box<Gadget>>().Count.Should().Be(10);
            heap.Objects(typeof(Box<>)).Count.Should().Be(10);
            heap.Objects<Gadget>().Count.Should().Be(10);
            heap.ObjectsInNamespace("HeapAssert.Tests").Count.Should().BeGreaterThanOrEqualTo(20);
            heap.ObjectsFrom(typeof(Gadget).Assembly).Count.Should().BeGreaterThanOrEqualTo(20);
            heap.ObjectsNamed("HeapAssert.Tests.Box").Count.Should().Be(10);
        }
        finally
        {
            Holder.s_boxes = null;
        }
    }

    [Fact]
    public void Diff_shows_what_is_new_since_the_baseline()
    {
        var before = Heap.Snapshot();
        Holder.s_widgets = [.. Enumerable.Range(0, 500).Select(_ => new Widget())];
        try
        {
            var diff = Heap.Snapshot().Diff(before);

            diff.For<Widget>().CountDelta.Should().Be(500);
            diff.For<Widget>().BytesDelta.Should().Be(500 * WidgetSize());
            diff.Rows.Should().Contain(r => r.TypeName == typeof(Widget).FullName);
            diff.ToString().Should().Contain("+500").And.Contain("Widget");
            diff.For<List<Widget>>().CountDelta.Should().Be(1, "For<T> must find generic types by their runtime name too");
        }
        finally
        {
            Holder.s_widgets = null;
        }
    }

    [Fact]
    public void TopTypes_lists_types_by_live_bytes()
    {
        Holder.s_widgets = [.. Enumerable.Range(0, 20_000).Select(_ => new Widget())];
        try
        {
            var top = Heap.Snapshot().TopTypes(5);

            top.Select(t => t.TypeName).Should().Contain(typeof(Widget).FullName);
            top.Should().BeInDescendingOrder(t => t.Bytes);
        }
        finally
        {
            Holder.s_widgets = null;
        }
    }

    [Fact]
    public void A_leak_fails_with_a_message_that_says_what_how_many_how_much_and_what_holds_it()
    {
        Holder.s_widgets = [.. Enumerable.Range(0, 50).Select(_ => new Widget())];
        try
        {
            var heap = Heap.Snapshot();

            var act = () => heap.Should().HaveAtMost(10).LiveInstancesOf<Widget>("widgets must not pile up (see {0})", "the hints");

            act.Should().Throw<Exception>().Which.Message.Should()
                .StartWith("Leak detected: 50 live Widget (")
                .And.Contain("expected at most 10 because widgets must not pile up (see the hints).")
                .And.Contain("Held by: static Holder.s_widgets → List<Widget> → Widget[] → Widget");
        }
        finally
        {
            Holder.s_widgets = null;
        }
    }

    [Fact]
    public void No_live_instances_passes_when_there_are_none()
    {
        Heap.Snapshot().Should().HaveNoLiveInstancesOf<Gadget>();
    }

    [Fact]
    public void Check_retries_until_work_that_is_finishing_has_let_go()
    {
        KeepOneWidget();
        using var release = new Timer(_ => Holder.s_single = null, null, 300, Timeout.Infinite);

        Heap.Check(heap => heap.Should().HaveNoLiveInstancesOf<Widget>(), within: TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Check_reports_the_leak_after_its_retries()
    {
        KeepOneWidget();
        try
        {
            var act = () => Heap.Check(heap => heap.Should().HaveNoLiveInstancesOf<Widget>(), within: TimeSpan.FromMilliseconds(300));

            act.Should().Throw<Exception>().Which.Message.Should().StartWith("Leak detected: 1 live Widget").And.Contain("expected none");
        }
        finally
        {
            Holder.s_single = null;
        }
    }

    [Fact]
    public void Leak_Fail_keeps_braces_and_formats_because()
    {
        var act = () => Leak.Fail("3 {odd} things", "Held by: Dictionary<{x}>", "of {0}", "reasons");

        act.Should().Throw<Exception>().Which.Message.Should()
            .Be("Leak detected: 3 {odd} things because of reasons." + Environment.NewLine + "Held by: Dictionary<{x}>");
    }

    [Fact]
    public void Bounded_Run_ends_a_hung_call_with_a_time_out_message()
    {
        var act = () => Bounded.Run(token => Task.Delay(Timeout.Infinite, token), TimeSpan.FromMilliseconds(200), "the hung call");

        act.Should().Throw<Exception>().Which.Message.Should().StartWith("Timed out: the hung call did not finish within 0.2 s.");
    }

    [Fact]
    public void Bounded_Run_returns_the_result_and_rethrows_the_original_exception()
    {
        Bounded.Run(_ => Task.FromResult(42), TimeSpan.FromSeconds(5), "answer").Should().Be(42);

        var act = () => Bounded.Run(_ => throw new InvalidOperationException("boom"), TimeSpan.FromSeconds(5), "boom");
        act.Should().Throw<InvalidOperationException>().WithMessage("boom");
    }

    [Fact]
    public void Type_names_read_like_code()
    {
        TypeNames.Short("System.Collections.Generic.Dictionary<System.String, MyApp.Cache.Entry>").Should().Be("Dictionary<String, Entry>");
        TypeNames.AsyncMethod("MyApp.Hub+<PollAsync>d__4").Should().Be("Hub.PollAsync");
        TypeNames.AsyncMethod("MyApp.Hub+<>c__DisplayClass2_0+<<Start>b__0>d").Should().Be("Hub.Start (lambda)");
        TypeNames.Awaited("System.Threading.Tasks.Task+DelayPromiseWithCancellation").Should().Be("Task.Delay");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Action MakeCallback()
    {
        var captured = new Widget();
        return () => GC.KeepAlive(captured);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void KeepOneWidget() => Holder.s_single = new Widget();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AllocateAndDrop()
    {
        var gadget = new Gadget();
        GC.KeepAlive(gadget);
    }

    private static long WidgetSize() => IntPtr.Size == 8 ? 24 : 12; // header + method table + one reference
}
