namespace IExecChain.Core.Primitives;

/// <summary>Lower-case hex with an optional 0x prefix on input, always 0x on output.</summary>
public static class Hex
{
    public static string Encode(ReadOnlySpan<byte> bytes, bool prefix = true) =>
        prefix ? "0x" + Convert.ToHexStringLower(bytes) : Convert.ToHexStringLower(bytes);

    public static byte[] Decode(string hex)
    {
        if (!TryDecode(hex, out var bytes, out var error)) throw new FormatException(error);
        return bytes;
    }

    public static bool TryDecode(string? hex, out byte[] bytes, out string? error)
    {
        bytes = [];
        if (hex is null) { error = "hex string is null"; return false; }
        ReadOnlySpan<char> s = hex.AsSpan();
        if (s.StartsWith("0x") || s.StartsWith("0X")) s = s[2..];
        if (s.Length % 2 != 0) { error = "hex string has an odd number of digits"; return false; }
        var result = new byte[s.Length / 2];
        for (int i = 0; i < result.Length; i++)
        {
            int hi = Digit(s[2 * i]), lo = Digit(s[2 * i + 1]);
            if (hi < 0 || lo < 0) { error = $"invalid hex character at position {2 * i + (hi < 0 ? 0 : 1)}"; return false; }
            result[i] = (byte)((hi << 4) | lo);
        }
        bytes = result;
        error = null;
        return true;
    }

    private static int Digit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
