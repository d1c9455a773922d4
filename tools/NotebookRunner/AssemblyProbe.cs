using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace NotebookRunner;

/// <summary>
/// Finds the dependencies of assemblies a notebook loads with <c>#r "path/to/X.dll"</c>: first next to X.dll,
/// then through X.deps.json in the NuGet package folder (a class library's bin folder holds its own dll but not
/// the packages it uses). Used at compile time (missing references) and at run time (assembly loading).
/// </summary>
internal static class AssemblyProbe
{
    private static readonly ConcurrentDictionary<string, bool> Directories = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> PackageAssemblies = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<string, Assembly> Loaded = new(StringComparer.OrdinalIgnoreCase);
    private static int s_hooked;

    public static void AddReferencedAssembly(string path)
    {
        if (Interlocked.Exchange(ref s_hooked, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += (context, name) => Load(context, name);
            AppDomain.CurrentDomain.AssemblyResolve += (_, args) => Load(AssemblyLoadContext.Default, new AssemblyName(args.Name));
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is null || !Directories.TryAdd(directory, true))
        {
            return;
        }
        foreach (var depsFile in Directory.EnumerateFiles(directory, "*.deps.json"))
        {
            ReadPackageAssemblies(depsFile);
        }
    }

    public static string? Find(string simpleName)
    {
        foreach (var directory in Directories.Keys.Order(StringComparer.Ordinal))
        {
            var candidate = System.IO.Path.Combine(directory, simpleName + ".dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return PackageAssemblies.TryGetValue(simpleName, out var packaged) ? packaged : null;
    }

    private static Assembly? Load(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name is null || Find(name.Name) is not { } path)
        {
            return null;
        }
        return Loaded.GetOrAdd(path, context.LoadFromAssemblyPath);
    }

    private static void ReadPackageAssemblies(string depsFile)
    {
        var packageRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try
        {
            using var deps = JsonDocument.Parse(File.ReadAllText(depsFile));
            if (!deps.RootElement.TryGetProperty("targets", out var targets) ||
                !deps.RootElement.TryGetProperty("libraries", out var libraries))
            {
                return;
            }
            foreach (var target in targets.EnumerateObject())
            {
                foreach (var library in target.Value.EnumerateObject())
                {
                    if (!library.Value.TryGetProperty("runtime", out var runtime) ||
                        !libraries.TryGetProperty(library.Name, out var info) ||
                        !info.TryGetProperty("type", out var type) || type.GetString() != "package" ||
                        !info.TryGetProperty("path", out var packagePath))
                    {
                        continue;
                    }
                    foreach (var file in runtime.EnumerateObject())
                    {
                        var full = System.IO.Path.Combine(packageRoot, packagePath.GetString() ?? "", file.Name);
                        if (File.Exists(full))
                        {
                            PackageAssemblies.TryAdd(System.IO.Path.GetFileNameWithoutExtension(full), full);
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException)
        {
            // A broken deps file only means fewer places to look; the folder itself is still probed.
        }
    }
}

/// <summary>
/// Resolves <c>#r</c> paths relative to the notebook's folder (like Polyglot) and records each resolved
/// assembly so that its dependencies can be found; fills in references those assemblies need.
/// </summary>
internal sealed class NotebookMetadataResolver(string baseDirectory) : MetadataReferenceResolver
{
    private readonly ScriptMetadataResolver _inner =
        ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory).WithSearchPaths(baseDirectory);

    private readonly ConcurrentDictionary<string, PortableExecutableReference> _missing = new(StringComparer.Ordinal);

    public override bool ResolveMissingAssemblies => true;

    public override ImmutableArray<PortableExecutableReference> ResolveReference(
        string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        var resolved = _inner.ResolveReference(reference, baseFilePath, properties);
        foreach (var item in resolved)
        {
            if (item.FilePath is { } path)
            {
                AssemblyProbe.AddReferencedAssembly(path);
            }
        }
        return resolved;
    }

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity)
    {
        if (_inner.ResolveMissingAssembly(definition, referenceIdentity) is { } found)
        {
            return found;
        }
        return AssemblyProbe.Find(referenceIdentity.Name) is { } path
            ? _missing.GetOrAdd(path, p => MetadataReference.CreateFromFile(p))
            : null;
    }

    public override bool Equals(object? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => baseDirectory.GetHashCode(StringComparison.Ordinal);
}
