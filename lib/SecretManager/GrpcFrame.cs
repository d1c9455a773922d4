using System.Buffers.Binary;
using Google.Protobuf;

namespace SecretManager;

/// <summary>
/// gRPC's message framing, as it travels in an HTTP/2 DATA stream: a 5-byte prefix
/// (1 byte "compressed" flag, 4 bytes big-endian length) followed by the protobuf bytes.
/// </summary>
public static class GrpcFrame
{
    public const int PrefixSize = 5;
    public const int MaxMessageSize = 4 * 1024 * 1024; // gRPC's default receive limit

    public static byte[] Encode(IMessage message)
    {
        var size = message.CalculateSize();
        var frame = new byte[PrefixSize + size];
        frame[0] = 0; // not compressed
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)size);
        message.WriteTo(frame.AsSpan(PrefixSize));
        return frame;
    }

    /// <summary>Decodes a body that holds exactly one length-prefixed message (a unary request or response).</summary>
    public static T Decode<T>(ReadOnlySpan<byte> body, MessageParser<T> parser) where T : IMessage<T>
    {
        if (body.Length < PrefixSize)
        {
            throw new InvalidDataException($"A gRPC message needs a {PrefixSize}-byte prefix; got {body.Length} bytes.");
        }
        if (body[0] != 0)
        {
            throw new InvalidDataException("Compressed gRPC messages are not supported.");
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(body.Slice(1, 4));
        if (length > MaxMessageSize || length != body.Length - PrefixSize)
        {
            throw new InvalidDataException($"The prefix announces {length} bytes but {body.Length - PrefixSize} follow.");
        }
        return parser.ParseFrom(body[PrefixSize..]);
    }

    /// <summary>Reads a whole HTTP body; a unary call carries one message, so it is small.</summary>
    public static async Task<byte[]> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
