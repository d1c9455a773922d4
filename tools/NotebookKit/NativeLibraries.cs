using System.Runtime.InteropServices;

namespace NotebookKit;

/// <summary>
/// Finds SkiaSharp's native libraries (which ScottPlot draws with) in this assembly's build folder. A notebook loads
/// NotebookKit with <c>#r "path/NotebookKit.dll"</c>, and a kernel that loads a dll by path does not search its
/// <c>runtimes/&lt;rid&gt;/native</c> folder, as an application's host would.
/// </summary>
internal static class NativeLibraries
{
    private static readonly Lazy<bool> s_registered = new(RegisterOnce);

    public static void Register() => _ = s_registered.Value;

    private static bool RegisterOnce()
    {
        var folder = Path.GetDirectoryName(typeof(NativeLibraries).Assembly.Location) ?? AppContext.BaseDirectory;
        var native = Path.Combine(folder, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
        var loaded = new Dictionary<string, IntPtr>();
        IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
        {
            lock (loaded)
            {
                if (!loaded.TryGetValue(name, out var handle))
                {
                    var file = Path.Combine(native, OperatingSystem.IsWindows() ? $"{name}.dll" : OperatingSystem.IsMacOS() ? $"{name}.dylib" : $"{name}.so");
                    handle = File.Exists(file) ? NativeLibrary.Load(file) : IntPtr.Zero;
                    loaded[name] = handle;
                }

                return handle;
            }
        }

        foreach (var assembly in new[] { typeof(SkiaSharp.SKObject).Assembly, typeof(HarfBuzzSharp.Blob).Assembly })
        {
            try
            {
                NativeLibrary.SetDllImportResolver(assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // A resolver is already set (NotebookKit loaded twice in one kernel): the first one serves.
            }
        }

        return true;
    }
}
