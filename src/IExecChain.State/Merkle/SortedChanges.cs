using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>Searches in a block's changes, sorted by key.</summary>
internal static class SortedChanges
{
    /// <summary>First index in [from, to) whose key has bit <paramref name="depth"/> set (keys are sorted).</summary>
    public static int Split(StateChange[] changes, int from, int to, int depth)
    {
        int lo = from, hi = to;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (changes[mid].Key.Bit(depth) == 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    public static bool Contains(StateChange[] changes, int from, int to, Hash256 key)
    {
        int lo = from, hi = to - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = changes[mid].Key.CompareTo(key);
            if (c == 0) return true;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return false;
    }
}
