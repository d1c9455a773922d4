using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NotebookKit;

namespace HeapAssert.Tests;

/// <summary>
/// Objects that only a <c>[ThreadStatic]</c> field of a live thread holds. Since .NET 9 a thread's thread statics live in
/// arrays that only the thread's own runtime data points to (no handle, no stack slot), and the GC treats them as roots
/// of that thread: the engine must too, and name the field.
/// </summary>
public sealed class ThreadStaticTests
{
    private const int Count = 1_234;
    private static readonly string s_entryName = typeof(ThreadStaticEntry).FullName!;

    [Fact]
    public void Objects_held_only_by_a_thread_static_of_a_live_thread_are_counted_and_the_path_names_the_field()
    {
        using var thread = new ParkedThread(() => PerThread.Fill(Count));

        var entries = Heap.Snapshot().Objects<ThreadStaticEntry>();

        entries.Count.Should().Be(Count);
        entries.ShortestPath()!.ToString().Should().Be(
            $"[ThreadStatic] ThreadStaticTests+PerThread.t_entries (thread #{thread.ManagedThreadId}) → List<ThreadStaticTests+ThreadStaticEntry> "
            + "→ ThreadStaticTests+ThreadStaticEntry[] → ThreadStaticTests+ThreadStaticEntry");
    }

    [Fact]
    public void A_struct_thread_static_holding_an_object_is_a_root_too()
    {
        using var thread = new ParkedThread(PerThread.FillStruct);

        var single = Heap.Snapshot().Objects<ThreadStaticSingle>();

        single.Count.Should().Be(1);
        single.ShortestPath()!.Root.Should().Be($"[ThreadStatic] ThreadStaticTests+PerThread.t_pair (thread #{thread.ManagedThreadId})");
    }

    [Fact]
    public void When_the_thread_ends_what_its_thread_statics_held_is_gone()
    {
        var thread = new ParkedThread(() => PerThread.Fill(Count));
        Heap.Snapshot().Objects<ThreadStaticEntry>().Count.Should().Be(Count);

        thread.Dispose();

        Heap.Snapshot().Objects<ThreadStaticEntry>().Count.Should().Be(0);
    }

    [Fact]
    public void The_count_agrees_with_SOS_and_with_the_garbage_collector()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the thread's OS id is read with gettid");
        using var thread = new ParkedThread(() => PerThread.Fill(Count));
        var weak = thread.Run(PerThread.WeakToFirst);

        var engine = Heap.Snapshot().Objects<ThreadStaticEntry>().Count;
        var sos = DiagnosticTools.Sos(Environment.ProcessId, [$"dumpheap -stat -type {s_entryName}", $"dumpclass {typeof(PerThread).TypeHandle.Value:x}"]);

        // The garbage collector keeps them: what it would free, a weak reference would no longer reach.
        Heap.CollectEverything();
        weak.TryGetTarget(out _).Should().BeTrue("the GC roots a live thread's thread statics");
        // SOS counts every entry on the heap (all of them are the thread's: none was made elsewhere) and shows the field's
        // value on that very thread. Its dumpheap -live and gcroot are not compared: the pinned dotnet-dump's SOS finds no
        // root for an object held by a thread static on .NET 9 and later (it counts such objects dead).
        sos.CountOf(s_entryName).Should().Be(Count, $"SOS must see the entries; it printed:{Environment.NewLine}{sos}");
        sos.Output.Should().MatchRegex($@"t_entries\s+Thread static values \(Thread:Value\)\s+{thread.OSThreadId:x}:0*[1-9a-f][0-9a-f]*",
            "SOS must show the thread static's value on that thread");
        engine.Should().Be(Count, "HeapAssert must count what SOS counts");
    }

    private sealed class ThreadStaticEntry(int id)
    {
        public int Id { get; } = id;
    }

    private sealed class ThreadStaticSingle;

    private struct Pair
    {
        public ThreadStaticSingle? Single;
        public int Number;
    }

    private static class PerThread
    {
        [ThreadStatic]
        private static List<ThreadStaticEntry>? t_entries;

        [ThreadStatic]
        private static Pair t_pair;

        // In methods of their own, so that no stack slot of the thread holds what the thread statics hold.
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Fill(int count) => t_entries = [.. Enumerable.Range(0, count).Select(i => new ThreadStaticEntry(i))];

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void FillStruct() => t_pair = new Pair { Single = new ThreadStaticSingle(), Number = 1 };

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static WeakReference<ThreadStaticEntry> WeakToFirst() => new(t_entries![0]);
    }

    /// <summary>A thread that runs some code, then waits (without holding anything on its stack) until disposed.</summary>
    private sealed class ParkedThread : IDisposable
    {
        private readonly Thread _thread;
        private readonly BlockingCollectionLite _work = new();

        public ParkedThread(Action setUp)
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "thread-static test" };
            _thread.Start();
            Run(() =>
            {
                setUp();
                return 0;
            });
        }

        public int ManagedThreadId => _thread.ManagedThreadId;

        public int OSThreadId { get; private set; }

        /// <summary>Runs <paramref name="work"/> on the thread and returns its result.</summary>
        public T Run<T>(Func<T> work)
        {
            T result = default!;
            using var done = new ManualResetEventSlim();
            _work.Post(() =>
            {
                result = work();
                done.Set();
            });
            done.Wait(TimeSpan.FromSeconds(10)).Should().BeTrue("the parked thread must run its work");
            return result;
        }

        public void Dispose()
        {
            _work.Post(null);
            _thread.Join(TimeSpan.FromSeconds(10)).Should().BeTrue("the parked thread must end");
        }

        private void Loop()
        {
            OSThreadId = OperatingSystem.IsLinux() ? gettid() : 0;
            while (_work.Take() is { } work)
            {
                work();
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int gettid();
    }

    /// <summary>One item at a time from the test to the parked thread.</summary>
    private sealed class BlockingCollectionLite
    {
        private readonly Queue<Action?> _items = new();

        public void Post(Action? item)
        {
            lock (_items)
            {
                _items.Enqueue(item);
                Monitor.Pulse(_items);
            }
        }

        public Action? Take()
        {
            lock (_items)
            {
                while (_items.Count == 0)
                {
                    Monitor.Wait(_items);
                }

                return _items.Dequeue();
            }
        }
    }
}
