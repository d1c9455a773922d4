using Microsoft.Extensions.Time.Testing;

namespace Workshop.Tests;

public sealed class DebouncerTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(3);

    private readonly FakeTimeProvider _time = new();

    private Debouncer Create() => new(Quiet, Longest, _time);

    /// <summary>Moves the fake clock in small steps, letting continuations run between them, as real time would.</summary>
    private async Task AdvanceAsync(TimeSpan by)
    {
        var step = TimeSpan.FromMilliseconds(10);
        for (var passed = TimeSpan.Zero; passed < by; passed += step)
        {
            _time.Advance(step);
            await Task.Yield();
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task A_single_save_settles_once_the_folder_is_quiet()
    {
        var debouncer = Create();
        var settled = debouncer.SettleAsync(TestContext.Current.CancellationToken);
        settled.IsCompleted.Should().BeFalse("nothing changed yet");

        debouncer.Signal();
        debouncer.Pending.Should().BeTrue();
        await AdvanceAsync(TimeSpan.FromMilliseconds(200));
        settled.IsCompleted.Should().BeFalse("300 ms of quiet have not passed");

        await AdvanceAsync(TimeSpan.FromMilliseconds(150));
        await settled.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        debouncer.Pending.Should().BeFalse();
    }

    [Fact]
    public async Task Several_saves_within_a_second_make_one_check()
    {
        var debouncer = Create();
        var settled = debouncer.SettleAsync(TestContext.Current.CancellationToken);

        for (var i = 0; i < 5; i++)
        {
            debouncer.Signal();
            await AdvanceAsync(TimeSpan.FromMilliseconds(200));
            settled.IsCompleted.Should().BeFalse($"save {i + 1} came 200 ms after the one before");
        }

        await AdvanceAsync(TimeSpan.FromMilliseconds(150));
        await settled.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        var next = debouncer.SettleAsync(TestContext.Current.CancellationToken);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        next.IsCompleted.Should().BeFalse("the burst was settled once, and nothing changed since");
    }

    [Fact]
    public async Task Saves_that_never_pause_are_checked_after_the_longest_wait()
    {
        var debouncer = Create();
        var settled = debouncer.SettleAsync(TestContext.Current.CancellationToken);

        var elapsed = TimeSpan.Zero;
        while (!settled.IsCompleted && elapsed < TimeSpan.FromSeconds(10))
        {
            debouncer.Signal();
            await AdvanceAsync(TimeSpan.FromMilliseconds(100));
            elapsed += TimeSpan.FromMilliseconds(100);
        }

        settled.IsCompleted.Should().BeTrue();
        elapsed.Should().BeCloseTo(Longest, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_change_during_a_check_is_seen_at_once_and_then_settled()
    {
        var debouncer = Create();
        var changed = debouncer.ChangedAsync(TestContext.Current.CancellationToken);
        changed.IsCompleted.Should().BeFalse();

        debouncer.Signal();
        await changed.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        debouncer.ChangedAsync(TestContext.Current.CancellationToken).IsCompleted.Should().BeTrue("a change is pending until it is settled");

        var settled = debouncer.SettleAsync(TestContext.Current.CancellationToken);
        await AdvanceAsync(TimeSpan.FromMilliseconds(350));
        await settled.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        debouncer.ChangedAsync(TestContext.Current.CancellationToken).IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task Stopping_the_watch_cancels_the_wait()
    {
        using var stop = new CancellationTokenSource();
        var settled = Create().SettleAsync(stop.Token);
        await stop.CancelAsync();
        await settled.Invoking(s => s).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task The_watcher_sees_a_save_and_ignores_build_output()
    {
        using var repo = new TempRepo().Kata("02-double-channel-writes", "Double channel writes");
        var folder = Path.Combine(repo.Path, "katas", "02-double-channel-writes");
        var debouncer = new Debouncer(TimeSpan.FromMilliseconds(50), Longest, TimeProvider.System);
        using var watcher = new KataWatcher(folder, debouncer);

        Directory.CreateDirectory(Path.Combine(folder, "obj", "Debug"));
        await File.WriteAllTextAsync(Path.Combine(folder, "obj", "Debug", "Out.dll"), "build output", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, ".Service.cs.swp"), "editor scratch", TestContext.Current.CancellationToken);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        debouncer.Pending.Should().BeFalse("build output and editor scratch files are not the learner's code");

        await File.AppendAllTextAsync(Path.Combine(folder, "Service.cs"), "// saved\n", TestContext.Current.CancellationToken);
        await debouncer.SettleAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        watcher.LastChange.Should().Be("Service.cs");
    }
}
