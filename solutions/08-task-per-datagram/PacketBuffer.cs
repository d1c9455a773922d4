namespace TaskPerDatagram;

/// <summary>
/// Holds one datagram from the moment it is taken off the socket until its line is stored or rejected. Its size is the
/// largest datagram the service accepts (syslog over UDP asks receivers to take at least 2,048 bytes).
/// </summary>
public sealed class PacketBuffer
{
    public const int Capacity = 2048;

    private readonly byte[] _bytes = new byte[Capacity];

    /// <summary>How many bytes of the buffer hold the datagram.</summary>
    public int Length { get; private set; }

    /// <summary>The datagram.</summary>
    public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, Length);

    /// <summary>Copies a datagram in, replacing whatever the buffer held.</summary>
    public void CopyFrom(ReadOnlySpan<byte> datagram)
    {
        datagram.CopyTo(_bytes);
        Length = datagram.Length;
    }
}
