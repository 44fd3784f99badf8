namespace IExecChain.Consensus.Bft;

/// <summary>
/// The points a peer earns for each kind of bad consensus message (<see cref="IConsensusTransport.Penalize"/>;
/// the network bans a peer whose decaying score reaches its threshold, 100 by default). The one
/// table: the <see cref="MessageGate"/> and <see cref="BlockSync"/> use only these.
/// </summary>
public static class PenaltyPoints
{
    /// <summary>
    /// A vote from an address that is not a validator of the height. Small: an honest peer sends one
    /// when it is a height or an epoch behind and still counts a validator that just left the set.
    /// </summary>
    public const int NotAValidator = 5;

    /// <summary>
    /// An envelope that does not parse, is empty, or a proposal or vote of the wrong shape (field
    /// lengths, vote type, proof-of-lock round). No honest node sends one, but a version mismatch or
    /// a corrupted frame might: five in a row, not one, get a peer banned.
    /// </summary>
    public const int Malformed = 20;

    /// <summary>
    /// Proof of a dishonest or broken peer: a signature that does not recover to the claimed signer,
    /// a proposed or synced block that does not decode or match its hash, height or commit, a synced
    /// block that does not execute, evidence that proves nothing. Two in a row get a peer banned.
    /// </summary>
    public const int Forged = 50;
}
