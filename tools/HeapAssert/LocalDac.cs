using Microsoft.Diagnostics.Runtime;

namespace HeapAssert;

/// <summary>
/// Opens a runtime with the DAC installed next to it. HeapAssert only ever reads a process on this machine (the test
/// process, or a dump of it), so the DAC that matches its runtime is on disk beside that runtime. ClrMD finds it there by
/// itself on Windows only; on Linux and macOS it no longer looks (nor downloads one) and leaves that to the caller.
/// </summary>
public static class LocalDac
{
    /// <summary>A <see cref="ClrRuntime"/> for <paramref name="clr"/>, using the local DAC where there is one.</summary>
    public static ClrRuntime CreateRuntime(ClrInfo clr)
    {
        ArgumentNullException.ThrowIfNull(clr);
        var directory = Path.GetDirectoryName(clr.ModuleInfo.FileName);
        var dac = string.IsNullOrEmpty(directory) ? null : Path.Combine(directory, FileName);
        // The DAC sits in the directory of the very runtime file the process loaded, so it is that runtime's own DAC.
        // ClrMD's version check cannot confirm it on Linux (a live process reports its runtime as version 0.0).
        return dac is not null && File.Exists(dac) ? clr.CreateRuntime(dac, ignoreMismatch: true) : clr.CreateRuntime();
    }

    private static string FileName =>
        OperatingSystem.IsWindows() ? "mscordaccore.dll" : OperatingSystem.IsMacOS() ? "libmscordaccore.dylib" : "libmscordaccore.so";
}
