namespace IExecChain.Network;

/// <summary>
/// Which packet counters of one channel and direction were already accepted: each counter is accepted
/// once, in any order, as long as it is within <see cref="Size"/> of the highest one seen. A window and
/// not "above the last one", because the consensus and transaction channels are reliable but
/// unordered: LiteNetLib delivers a message as soon as it is complete, so one that needed a
/// retransmission arrives after later ones (at most its reliable window of 64 packets later; the
/// window is 16 times that). Only the network thread uses it.
/// <para>
/// The caller asks <see cref="IsFresh"/> before it authenticates a packet and calls
/// <see cref="Mark"/> after, so a forged packet with a huge counter cannot move the window.
/// </para>
/// </summary>
internal sealed class ReplayWindow
{
    public const int Size = 1024;
    private readonly ulong[] _seen = new ulong[Size / 64]; // a ring: counter c is bit c % Size
    private ulong _highest; // counters start at 1; 0 means none yet

    /// <summary>True if <paramref name="counter"/> was not accepted yet and is not too old to tell.</summary>
    public bool IsFresh(ulong counter)
    {
        if (counter == 0) return false;
        if (counter > _highest) return true;
        if (_highest - counter >= Size) return false;
        return (_seen[Word(counter)] & Bit(counter)) == 0;
    }

    /// <summary>Records an authenticated counter that <see cref="IsFresh"/> accepted.</summary>
    public void Mark(ulong counter)
    {
        if (counter > _highest)
        {
            // The counters entering the window take the ring slots of counters that leave it.
            if (counter - _highest >= Size) Array.Clear(_seen);
            else
                for (ulong c = _highest + 1; c < counter; c++) _seen[Word(c)] &= ~Bit(c);
            _seen[Word(counter)] &= ~Bit(counter);
            _highest = counter;
        }
        _seen[Word(counter)] |= Bit(counter);
    }

    private static int Word(ulong counter) => (int)(counter % Size / 64);

    private static ulong Bit(ulong counter) => 1UL << (int)(counter % 64);
}
