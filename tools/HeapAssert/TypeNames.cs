using System.Text.RegularExpressions;

namespace HeapAssert;

/// <summary>Turns runtime type names into the short forms a person reads in a failure message.</summary>
public static partial class TypeNames
{
    /// <summary>
    /// Drops namespaces everywhere in a type name, generic arguments included:
    /// <c>System.Collections.Generic.List&lt;MyApp.Entry&gt;</c> becomes <c>List&lt;Entry&gt;</c>.
    /// </summary>
    public static string Short(string fullName) => Namespace().Replace(fullName, "");

    /// <summary>
    /// The name the runtime (and so a snapshot) gives a closed type: namespaces, <c>+</c> for nesting and
    /// <c>&lt;…&gt;</c> for generic arguments, e.g. <c>System.Collections.Generic.List&lt;MyApp.Entry&gt;</c>.
    /// </summary>
    public static string Runtime(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.IsArray)
        {
            return Runtime(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (!type.IsGenericType)
        {
            return type.FullName ?? type.Name;
        }

        var definition = type.GetGenericTypeDefinition().FullName!;
        return definition[..definition.IndexOf('`')] + "<" + string.Join(", ", type.GetGenericArguments().Select(Runtime)) + ">";
    }

    /// <summary>
    /// Names an async state machine the way a stack trace does: <c>MyApp.Hub+&lt;PollAsync&gt;d__4</c> becomes
    /// <c>Hub.PollAsync</c>, and a lambda's <c>&lt;&lt;Start&gt;b__0&gt;d</c> becomes <c>Hub.Start (lambda)</c>.
    /// </summary>
    public static string AsyncMethod(string stateMachine)
    {
        var plus = stateMachine.LastIndexOf('+');
        if (plus < 0)
        {
            return Short(stateMachine);
        }

        var owner = Short(stateMachine[..plus]);
        var nested = stateMachine[(plus + 1)..];
        var lambda = LambdaMethod().Match(nested);
        if (lambda.Success)
        {
            var ownerOfLambda = owner.Contains('+') ? owner[..owner.LastIndexOf('+')] : owner;
            return $"{ownerOfLambda}.{lambda.Groups[1].Value} (lambda)";
        }

        var method = AsyncMethodName().Match(nested);
        return method.Success ? $"{owner}.{method.Groups[1].Value}" : $"{owner}+{nested}";
    }

    /// <summary>Says what an awaited object is, in the words of the API that created it.</summary>
    public static string Awaited(string typeName)
    {
        if (typeName.Length == 0)
        {
            return "nothing (running, or blocked synchronously)";
        }

        if (typeName.Contains("+AsyncStateMachineBox<", StringComparison.Ordinal))
        {
            var start = typeName.LastIndexOf(", ", StringComparison.Ordinal) is var comma and >= 0
                ? comma + 2
                : typeName.IndexOf("AsyncStateMachineBox<", StringComparison.Ordinal) + "AsyncStateMachineBox<".Length;
            return $"{AsyncMethod(typeName[start..^1])} (async)";
        }

        return typeName switch
        {
            _ when typeName.Contains("Task+DelayPromise", StringComparison.Ordinal) => "Task.Delay",
            _ when typeName.Contains("Task+WhenAllPromise", StringComparison.Ordinal) => "Task.WhenAll",
            _ when typeName.Contains("WhenAnyPromise", StringComparison.Ordinal) => "Task.WhenAny",
            _ when typeName.Contains("SemaphoreSlim+TaskNode", StringComparison.Ordinal) => "SemaphoreSlim.WaitAsync",
            _ when typeName.StartsWith("System.Threading.Channels.VoidAsyncOperationWithData", StringComparison.Ordinal) => $"a channel write that has no room ({Short(typeName)})",
            _ when typeName.StartsWith("System.Threading.Channels.", StringComparison.Ordinal) => $"a channel operation ({Short(typeName)})",
            _ when typeName.StartsWith("System.Threading.Tasks.Task<", StringComparison.Ordinal) || typeName == "System.Threading.Tasks.Task" => $"a {Short(typeName)} nobody completes (TaskCompletionSource, Task.Run, ...)",
            _ => Short(typeName),
        };
    }

    [GeneratedRegex(@"\b(?:[A-Za-z_][A-Za-z0-9_`]*\.)+(?=[A-Za-z_<])")]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^<<([^>]+)>b__[^>]*>d")]
    private static partial Regex LambdaMethod();

    [GeneratedRegex(@"^<([^>]+)>d")]
    private static partial Regex AsyncMethodName();
}
