using System.Threading.Channels;

namespace Workshop;

/// <summary>Single key presses in <c>watch</c> (h, n, r, q), read on a thread of their own so that a check never waits for one.</summary>
public sealed class KeyReader
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateUnbounded<ConsoleKeyInfo>();
    private Task<ConsoleKeyInfo>? _pending;

    public KeyReader()
    {
        var thread = new Thread(() =>
        {
            try
            {
                while (true)
                {
                    _keys.Writer.TryWrite(Console.ReadKey(intercept: true));
                }
            }
            catch (InvalidOperationException)
            {
                // no console to read from after all
            }
        })
        { IsBackground = true, Name = "keys" };
        thread.Start();
    }

    /// <summary>The next key; the same task until <see cref="Take"/> says it was handled, so that no key is lost between waits.</summary>
    public Task<ConsoleKeyInfo> Next => _pending ??= _keys.Reader.ReadAsync().AsTask();

    public ConsoleKeyInfo Take()
    {
        var key = Next.Result;
        _pending = null;
        return key;
    }
}
