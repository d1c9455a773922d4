using System.Runtime.CompilerServices;

namespace HeapAssert.Tests;

public sealed class Poller
{
    private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task WaitForeverAsync() => await _never.Task;

    public async Task SleepAsync(CancellationToken token) => await Task.Delay(TimeSpan.FromHours(1), token);

    public static async Task<int> FinishQuicklyAsync()
    {
        await Task.Yield();
        return 42;
    }

    public void Release() => _never.TrySetResult();
}

public sealed class LingeringWorkTests
{
    private static readonly System.Reflection.Assembly s_tests = typeof(Poller).Assembly;

    [Fact]
    public void Reports_pending_async_methods_with_what_they_await_and_how_many()
    {
        var baseline = Heap.Snapshot();
        using var stop = new CancellationTokenSource();
        var poller = StartSleepers(stop.Token, 7);
        try
        {
            var pending = Heap.Snapshot().PendingAsyncMethods(s_tests);

            pending.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Method = "Poller.SleepAsync", Awaiting = "Task.Delay", Count = 7 });

            var act = () => Heap.Snapshot().Should().HaveNoLingeringWorkFrom(s_tests, baseline, because: "the poller was stopped");
            act.Should().Throw<Exception>().Which.Message.Should()
                .StartWith("Leak detected: 7 async methods from HeapAssert.Tests are still pending, expected none because the poller was stopped.")
                .And.Contain("7 × Poller.SleepAsync, awaiting Task.Delay")
                .And.Contain("held by: ");
        }
        finally
        {
            stop.Cancel();
        }

        Heap.Check(heap => heap.Should().HaveNoLingeringWorkFrom(s_tests, baseline));
        GC.KeepAlive(poller);
    }

    [Fact]
    public void Completed_async_methods_are_not_pending_even_while_their_task_is_held()
    {
        var finished = Enumerable.Range(0, 5).Select(_ => Poller.FinishQuicklyAsync()).ToArray();
        SpinWait.SpinUntil(() => finished.All(t => t.IsCompleted), TimeSpan.FromSeconds(10));

        Heap.Snapshot().PendingAsyncMethods(s_tests).Should().BeEmpty();
        GC.KeepAlive(finished);
    }

    [Fact]
    public void Names_what_an_async_method_awaits_when_it_awaits_another_async_method()
    {
        var poller = new Poller();
        var outer = AwaitOther(poller);
        try
        {
            var pending = Heap.Snapshot().PendingAsyncMethods(s_tests);

            pending.Should().Contain(p => p.Method == "LingeringWorkTests.AwaitOther" && p.Awaiting == "Poller.WaitForeverAsync (async)");
            pending.Should().Contain(p => p.Method == "Poller.WaitForeverAsync" && p.Awaiting.StartsWith("a Task nobody completes"));
        }
        finally
        {
            poller.Release();
            SpinWait.SpinUntil(() => outer.IsCompleted, TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void Reads_the_state_machines_of_optimized_code_where_they_are_structs_inside_their_box()
    {
        // A Release build (the runtime's own libraries are one) keeps an async method's state machine as a struct inside
        // its box; a Debug build, like this test assembly's, as a class the box points to.
        var stream = new StalledStream();
        using var reader = new StreamReader(stream);
        var reading = reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            var pending = Heap.Snapshot().PendingAsyncMethods(typeof(StreamReader).Assembly);

            pending.Should().Contain(p => p.Method == "StreamReader.ReadToEndAsyncInternal" && p.Awaiting == "StreamReader.ReadBufferAsync (async)");
            pending.Should().Contain(p => p.Method == "StreamReader.ReadBufferAsync"
                                          && p.Awaiting == "a Task<Int32> nobody completes (TaskCompletionSource, Task.Run, ...)");
        }
        finally
        {
            stream.Finish();
            SpinWait.SpinUntil(() => reading.IsCompleted, TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void The_baseline_and_the_ignore_list_leave_out_known_long_lived_work()
    {
        using var stop = new CancellationTokenSource();
        var early = StartSleepers(stop.Token, 3);
        var baseline = Heap.Snapshot();
        var poller = new Poller();
        var forever = poller.WaitForeverAsync();
        try
        {
            var heap = Heap.Snapshot();

            heap.Should().HaveNoLingeringWorkFrom(s_tests, baseline, ignore: m => m.Method == "Poller.WaitForeverAsync");
            var act = () => heap.Should().HaveNoLingeringWorkFrom(s_tests, baseline);
            act.Should().Throw<Exception>().Which.Message.Should().Contain("1 × Poller.WaitForeverAsync").And.NotContain("SleepAsync");
        }
        finally
        {
            stop.Cancel();
            poller.Release();
            SpinWait.SpinUntil(() => forever.IsCompleted, TimeSpan.FromSeconds(10));
        }

        GC.KeepAlive(early);
    }

    [Fact]
    public void Reports_a_thread_blocked_inside_the_assembly_code()
    {
        // The test assembly holds xunit's entry point, so the main thread is always "inside" it: the baseline has it.
        var baseline = Heap.Snapshot();
        using var gate = new ManualResetEventSlim();
        var thread = new Thread(() => BlockOn(gate)) { IsBackground = true, Name = "blocked" };
        thread.Start();
        try
        {
            SpinWait.SpinUntil(() => thread.ThreadState.HasFlag(ThreadState.WaitSleepJoin), TimeSpan.FromSeconds(5));

            var heap = Heap.Snapshot();

            heap.ThreadsIn(s_tests).Should().Contain(t => t.ManagedThreadId == thread.ManagedThreadId && t.Frames.Contains("LingeringWorkTests.BlockOn"));
            var act = () => heap.Should().HaveNoLingeringWorkFrom(s_tests, baseline);
            act.Should().Throw<Exception>().Which.Message.Should()
                .Contain("1 thread is still inside HeapAssert.Tests code")
                .And.Contain($"1 × LingeringWorkTests.BlockOn (#{thread.ManagedThreadId})")
                .And.Contain($"thread #{thread.ManagedThreadId} in ").And.Contain("ManualResetEventSlim.Wait ← ");
        }
        finally
        {
            gate.Set();
            thread.Join(TimeSpan.FromSeconds(10));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Poller StartSleepers(CancellationToken token, int count)
    {
        var poller = new Poller();
        for (var i = 0; i < count; i++)
        {
            _ = poller.SleepAsync(token).ContinueWith(t => t.Exception, TaskScheduler.Default);
        }

        return poller;
    }

    private static async Task AwaitOther(Poller poller) => await poller.WaitForeverAsync();

    /// <summary>A stream whose reads wait until <see cref="Finish"/>, and then find its end.</summary>
    private sealed class StalledStream : Stream
    {
        private readonly TaskCompletionSource<int> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Finish() => _end.TrySetResult(0);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(_end.Task);

        public override int Read(byte[] buffer, int offset, int count) => _end.Task.GetAwaiter().GetResult();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BlockOn(ManualResetEventSlim gate) => gate.Wait();
}
