using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace HeapAssert.Tests;

/// <summary>The engine under fire: snapshots of a process whose threads allocate, throw and spin, and every way a snapshot can fail.</summary>
public sealed class BusyProcessTests
{
    private static readonly System.Reflection.Assembly s_tests = typeof(BusyProcessTests).Assembly;
    private static int s_turns;

    [Fact]
    public void Snapshots_of_a_busy_process_all_succeed_and_count_exactly()
    {
        Holder.s_widgets = [.. Enumerable.Range(0, 1_234).Select(_ => new Widget())];
        using var busy = new BusyThreads();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var heap = Heap.Snapshot();

                heap.Objects<Widget>().Count.Should().Be(1_234, $"snapshot {i} must count every widget the static field holds (left out: {string.Join("; ", heap.LeftOut)})");
            }
        }
        finally
        {
            Holder.s_widgets = null;
        }
    }

    [Fact]
    public void Busy_async_loops_are_reported_as_still_running()
    {
        var baseline = Heap.Snapshot();
        using var stop = new CancellationTokenSource();
        var loops = StartSpinningLoops(stop.Token, 20);
        try
        {
            // The loops start on the thread pool, which may first have to grow: wait until they are going round.
            var started = Volatile.Read(ref s_turns);
            SpinWait.SpinUntil(() => Volatile.Read(ref s_turns) - started > 200, TimeSpan.FromSeconds(10));

            var act = () => Heap.Snapshot().Should().HaveNoLingeringWorkFrom(s_tests, baseline);

            act.Should().Throw<Exception>().Which.Message.Should()
                .StartWith("Leak detected: 20 × BusyProcessTests.SpinAsync still running")
                .And.Contain("Threads in its code right now, by method:")
                .And.Contain("× BusyProcessTests.SpinAsync (#");
        }
        finally
        {
            stop.Cancel();
            SpinWait.SpinUntil(() => loops.All(l => l.IsCompleted), TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void A_stack_that_crashes_the_helper_twice_is_left_out_and_the_snapshot_says_so()
    {
        Holder.s_widgets = [.. Enumerable.Range(0, 10).Select(_ => new Widget())];
        var crash = Shell(Walking("roots 4242", "thread #99 (OS thread 4242)")) + "kill -SEGV $$";
        var real = $"{{ printf '%s\\n' \"$line\"; cat; }} | exec '{AgentClient.DotnetHost()}' exec '{typeof(Heap).Assembly.Location}' --agent {Environment.ProcessId}";
        using var client = FakeAgent($"read line; case \"$line\" in *'|roots 4242'*) {real} ;; *) {crash} ;; esac");
        try
        {
            Heap.CollectEverything();
            var heap = new HeapSnapshot(client.Snapshot(SnapshotMethod.Attach), Environment.CurrentManagedThreadId);

            heap.Objects<Widget>().Count.Should().Be(10);
            heap.LeftOut.Should().ContainSingle().Which.Should().Be(
                "the stack roots of thread #99 (OS thread 4242): the runtime's data-access library crashed the helper 2 times while walking that stack, "
                + "so objects that only its locals hold are not in this snapshot");
            var act = () => heap.Should().HaveNoLiveInstancesOf<Widget>();
            act.Should().Throw<Exception>().Which.Message.Should().Contain("Not in this snapshot: the stack roots of thread #99 (OS thread 4242)");
        }
        finally
        {
            Holder.s_widgets = null;
        }
    }

    [Fact]
    public void A_helper_that_is_killed_is_reported_as_a_crash_not_as_a_permission_problem()
    {
        using var client = FakeAgent("read line; kill -KILL $$");

        var act = () => client.Snapshot(SnapshotMethod.Attach);

        act.Should().Throw<SnapshotUnavailableException>().Which.Message.Should()
            .StartWith("Heap snapshot unavailable: the helper crashed while walking the heap: it was ended by signal SIGKILL (exit code 137), at each of 8 attempts.")
            .And.Contain("Your setup is fine")
            .And.NotContain("ptrace").And.NotContain("DOTNET_EnableDiagnostics");
    }

    [Fact]
    public void A_refused_attach_says_so_with_the_reason_and_the_ptrace_fix()
    {
        using var target = TracedProcess();
        using var client = new AgentClient(target.Id);

        var act = () => client.Snapshot(SnapshotMethod.Attach);

        act.Should().Throw<SnapshotUnavailableException>().Which.Message.Should()
            .StartWith("Heap snapshot unavailable: the helper could not attach to this process: ClrDiagnosticsException: Could not PTRACE_ATTACH")
            .And.Contain("How to fix: The snapshot attaches to this process with ptrace.");
    }

    [Fact]
    public void A_dump_that_cannot_be_written_says_so_and_leaves_no_file()
    {
        using var target = TracedProcess();
        using var client = new AgentClient(target.Id);

        var act = () => client.Snapshot(SnapshotMethod.Dump);

        act.Should().Throw<SnapshotUnavailableException>().Which.Message.Should()
            .StartWith("Heap snapshot unavailable: the runtime could not write a heap dump of this process (ServerNotAvailableException")
            .And.Contain("How to fix: The dump is written by the runtime's diagnostics server.")
            .And.NotContain("ptrace_scope");
        Directory.GetFiles(Path.GetTempPath(), $"heapassert-{target.Id}-*").Should().BeEmpty();
    }

    [Fact]
    public void A_heap_never_walkable_is_tried_again_then_given_up_with_the_real_cause()
    {
        using var client = FaultyHelper("not-walkable");
        var started = Stopwatch.StartNew();

        var act = () => client.Snapshot(SnapshotMethod.Attach);

        var message = act.Should().Throw<SnapshotUnavailableException>().Which.Message;
        message.Should().MatchRegex(@"^Heap snapshot unavailable: the heap was not walkable at any of 8 attempts in \d+\.\d s: "
            + @"a garbage collection was in progress each time the process was suspended\.")
            .And.Contain("How to fix: The process kept collecting garbage")
            .And.NotContain("ptrace").And.NotContain("DOTNET_EnableDiagnostics").And.NotContain("crashed");
        // Between attempts the process runs again, 20 ms longer each time: 20 + 40 + … + 140 ms.
        started.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(560), "each attempt after the first waits for the process to move on");
    }

    [Fact]
    public void A_walk_that_throws_at_every_attempt_is_reported_with_the_helpers_own_exception()
    {
        using var client = FaultyHelper("walk-throws");

        var act = () => client.Snapshot(SnapshotMethod.Attach);

        act.Should().Throw<SnapshotUnavailableException>().Which.Message.Should()
            .StartWith("Heap snapshot unavailable: the helper failed while walking the heap, at each of 8 attempts: "
                + "InvalidOperationException: a fault feigned for a test (--fault walk-throws): the walk fails here (thrown in Walker.WalkFromRoots)")
            .And.Contain("How to fix: Your setup is fine")
            .And.NotContain("ptrace").And.NotContain("DOTNET_EnableDiagnostics");
    }

    [Fact]
    public void A_check_without_a_snapshot_fails_and_never_runs_its_assertion()
    {
        using var client = FaultyHelper("walk-throws");
        using var _ = AgentClient.Replace(client);
        var ran = false;

        var check = () => Heap.Check(heap =>
        {
            ran = true;
            heap.Should().HaveNoLiveInstancesOf<Widget>();
        });
        var dotMemoryCheck = () => HeapAssert.DotMemoryStyle.dotMemory.Check(memory => ran = true);

        check.Should().Throw<SnapshotUnavailableException>().Which.Message.Should().StartWith("Heap snapshot unavailable: the helper failed while walking the heap");
        dotMemoryCheck.Should().Throw<SnapshotUnavailableException>().Which.Message.Should().StartWith("Heap snapshot unavailable: the helper failed while walking the heap");
        ran.Should().BeFalse("no assertion may run, let alone pass, without a snapshot");
    }

    // The real helper, told to feign a failure that nothing real provokes on demand (see Agent.Fault).
    private static AgentClient FaultyHelper(string fault) => new(Environment.ProcessId,
        (AgentClient.DotnetHost(), [.. HelperHost.ExecArguments(typeof(Heap).Assembly.Location), "--agent", Environment.ProcessId.ToString(), "--fault", fault]));

    // A helper command line for tests: sh reads the request and does what the script says.
    private static AgentClient FakeAgent(string script)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "the fake helpers are shell scripts");
        return new AgentClient(Environment.ProcessId, ("/bin/sh", ["-c", script]));
    }

    // The progress record the helper writes before it walks a stack, as printf escapes.
    private static byte[] Walking(string key, string label)
    {
        using var bytes = new MemoryStream();
        using (var writer = new BinaryWriter(bytes, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write((byte)AgentStatus.Walking);
            writer.Write(key);
            writer.Write(label);
        }

        return bytes.ToArray();
    }

    private static string Shell(byte[] bytes) => $"printf '{string.Concat(bytes.Select(b => $"\\{Convert.ToString(b, 8).PadLeft(3, '0')}"))}'; ";

    /// <summary>A process this one already traces: nothing else can attach to it, and it is not a .NET process.</summary>
    private static Traced TracedProcess()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "ptrace is Linux's");
        var traced = new Traced(Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!);
        const int PTRACE_SEIZE = 0x4206;
        ptrace(PTRACE_SEIZE, traced.Id, 0, 0).Should().Be(0, "this process must be able to trace its own child");
        return traced;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long ptrace(int request, int pid, nint address, nint data);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task[] StartSpinningLoops(CancellationToken token, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => SpinAsync(token))];

    // A loop like the ones a wrong fix leaves behind: it throws and catches, and goes round again without waiting.
    private static async Task SpinAsync(CancellationToken token)
    {
        while (true)
        {
            await Task.Yield();
            Interlocked.Increment(ref s_turns);
            long work = 1;
            for (var i = 0; i < 100_000; i++)
            {
                work = (work * 31) + i; // most of the time in the loop's own code, where a stack walk can see it
            }

            GC.KeepAlive(work);
            try
            {
                throw new OperationCanceledException(token);
            }
            catch (OperationCanceledException)
            {
            }

            if (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private sealed class Traced(Process process) : IDisposable
    {
        public int Id => process.Id;

        public void Dispose()
        {
            process.Kill();
            process.WaitForExit(5_000);
            process.Dispose();
        }
    }

    /// <summary>Threads that allocate, throw and catch, and spin, until disposed.</summary>
    private sealed class BusyThreads : IDisposable
    {
        private readonly List<Thread> _threads = [];
        private volatile bool _stop;

        public BusyThreads()
        {
            Start(Allocate);
            Start(ThrowAndCatch);
            Start(ThrowAndCatch);
            Start(Spin);
        }

        private void Start(Action work)
        {
            var thread = new Thread(() => work()) { IsBackground = true };
            thread.Start();
            _threads.Add(thread);
        }

        private void Allocate()
        {
            var kept = new List<byte[]>();
            for (var i = 0; !_stop; i++)
            {
                kept.Add(new byte[16 + (i % 2_000)]);
                if (kept.Count > 1_000)
                {
                    kept.Clear();
                }
            }
        }

        private void ThrowAndCatch()
        {
            for (var i = 0; !_stop; i++)
            {
                try
                {
                    throw new InvalidOperationException(i.ToString());
                }
                catch (InvalidOperationException)
                {
                }
            }
        }

        private void Spin()
        {
            long x = 1;
            while (!_stop)
            {
                x = (x * 31) + 7;
            }

            GC.KeepAlive(x);
        }

        public void Dispose()
        {
            _stop = true;
            foreach (var thread in _threads)
            {
                thread.Join(TimeSpan.FromSeconds(10));
            }
        }
    }
}
