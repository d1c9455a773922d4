using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace Workshop.Shared;

/// <summary>
/// What xunit's XML report (<c>-xml file</c>) says about a test. xunit escapes a message for the report much as C# would
/// in a string literal: a backslash, a quote and a tab become <c>\\</c>, <c>\"</c> and <c>\t</c>, other control characters
/// <c>\xHH</c>. Compiled into each tool that reads the report (the companion, the notebooks' kit, the verification).
/// </summary>
internal static class XunitXml
{
    /// <summary>The failure message of a <c>test</c> or <c>error</c> element as the test wrote it; empty when there is none.</summary>
    public static string FailureMessage(XElement element) => Unescape(element.Element("failure")?.Element("message")?.Value ?? "");

    /// <summary>Undoes xunit's escaping of a message.</summary>
    public static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }

        var plain = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                plain.Append(text[i]);
                continue;
            }

            var next = text[++i];
            if (next == 'x' && Hex(text, i + 1) is var (character, digits))
            {
                plain.Append(character);
                i += digits;
                continue;
            }

            plain.Append(next switch
            {
                'r' => '\r',
                'n' => '\n',
                't' => '\t',
                '0' => '\0',
                'a' => '\a',
                'b' => '\b',
                'v' => '\v',
                'f' => '\f',
                _ => next, // \\ and \"
            });
        }

        return plain.ToString();
    }

    // xunit writes a control character as two hex digits and a lone surrogate (or U+FFFE, U+FFFF) as four.
    private static (char Character, int Digits)? Hex(string text, int at)
    {
        if (at + 4 <= text.Length && int.TryParse(text.AsSpan(at, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var wide) && wide >= 0xD800)
        {
            return ((char)wide, 4);
        }

        return at + 2 <= text.Length && int.TryParse(text.AsSpan(at, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var narrow) && narrow < 0x20
            ? ((char)narrow, 2)
            : null;
    }
}
