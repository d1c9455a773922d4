using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FluentAssertions;
using HeapAssert;
using HeapAssert.DotMemoryStyle;

namespace SessionStoreSample;

/// <summary>A session, as a web service keeps one per signed-in user.</summary>
public sealed record Session(string User, byte[] State);

/// <summary>The same, in the store that is bounded.</summary>
public sealed record CachedSession(string User, byte[] State);

/// <summary>Leaks on purpose: a static dictionary that nothing ever removes from.</summary>
public static class SessionStore
{
    private static readonly ConcurrentDictionary<string, Session> s_sessions = new();

    public static void SignIn(string user) => s_sessions[user] = new Session(user, new byte[256]);
}

/// <summary>Keeps at most <c>capacity</c> sessions: the oldest one goes when a new one comes.</summary>
public sealed class BoundedSessionStore(int capacity)
{
    private readonly Queue<CachedSession> _sessions = new();

    public void SignIn(string user)
    {
        _sessions.Enqueue(new CachedSession(user, new byte[256]));
        if (_sessions.Count > capacity)
        {
            _sessions.Dequeue();
        }
    }
}

/// <summary>
/// What a team writes after the workshop. The first test fails on purpose (the store above leaks), with HeapAssert's
/// message; the second passes. The workshop's verification packs HeapAssert, installs it here from a local folder and
/// checks exactly that.
/// </summary>
public sealed class SessionStoreTests
{
    [Fact]
    [Trait("Memory", "leak")]
    public void Signing_in_many_users_keeps_a_bounded_number_of_sessions()
    {
        SignInUsers(5_000);

        dotMemory.Check(memory =>
            Assert.True(memory.GetObjects(where => where.Type.Is<Session>()).ObjectsCount <= 100,
                "the session store must keep at most 100 sessions"));
    }

    [Fact]
    [Trait("Memory", "bounded")]
    public void A_bounded_store_keeps_at_most_its_capacity()
    {
        var store = new BoundedSessionStore(capacity: 100);
        for (var i = 0; i < 5_000; i++)
        {
            store.SignIn($"user-{i}");
        }

        Heap.Check(heap => heap.Should().HaveAtMost(100).LiveInstancesOf<CachedSession>(because: "the store is bounded at 100"));
        GC.KeepAlive(store);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SignInUsers(int count)
    {
        for (var i = 0; i < count; i++)
        {
            SessionStore.SignIn($"user-{i}");
        }
    }
}
