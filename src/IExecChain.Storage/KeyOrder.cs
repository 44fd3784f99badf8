namespace IExecChain.Storage;

/// <summary>Helpers for the stores' bytewise key order.</summary>
public static class KeyOrder
{
    /// <summary>
    /// The smallest key greater than every key starting with <paramref name="prefix"/>, or null when
    /// there is none (the prefix is empty or all 0xFF).
    /// </summary>
    public static byte[]? Successor(ReadOnlySpan<byte> prefix)
    {
        for (int i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] == 0xFF) continue;
            var successor = prefix[..(i + 1)].ToArray();
            successor[i]++;
            return successor;
        }
        return null;
    }
}
