using System.Diagnostics;

namespace HeapAssert;

/// <summary>
/// Where one snapshot's time went: consecutive steps, each timed from the end of the one before, in wall-clock time and
/// in this process's CPU time (on a busy machine the wall-clock time includes waiting for a core; the CPU time does not).
/// The helper times its steps and sends them with the snapshot; the test process adds its own. Cheap enough to be always
/// on: two clock readings per step.
/// </summary>
internal sealed class Spans
{
    private readonly List<Timing> _steps = [];
    private long _start = Stopwatch.GetTimestamp();
    private TimeSpan _cpu = Environment.CpuUsage.TotalTime;

    /// <summary>Ends the current step and names it; the next one starts now.</summary>
    public void Mark(string step)
    {
        var now = Stopwatch.GetTimestamp();
        var cpu = Environment.CpuUsage.TotalTime;
        Add(step, Stopwatch.GetElapsedTime(_start, now).TotalMilliseconds, (cpu - _cpu).TotalMilliseconds);
        (_start, _cpu) = (now, cpu);
    }

    /// <summary>Adds time to a step (to the time already counted under that name, if any).</summary>
    public void Add(string step, double milliseconds, double cpuMilliseconds)
    {
        var at = _steps.FindIndex(s => s.Step == step);
        if (at < 0)
        {
            _steps.Add(new Timing(step, milliseconds, cpuMilliseconds));
        }
        else
        {
            _steps[at] = _steps[at] with { Milliseconds = _steps[at].Milliseconds + milliseconds, CpuMilliseconds = _steps[at].CpuMilliseconds + cpuMilliseconds };
        }
    }

    public Timing[] ToArray() => [.. _steps];
}

/// <summary>One step of a snapshot.</summary>
/// <param name="Step">What was done, in words.</param>
/// <param name="Milliseconds">Wall-clock time.</param>
/// <param name="CpuMilliseconds">CPU time of the process that did it, or NaN where it was not measured.</param>
internal sealed record Timing(string Step, double Milliseconds, double CpuMilliseconds);
