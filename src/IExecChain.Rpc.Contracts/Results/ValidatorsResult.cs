namespace IExecChain.Rpc.Contracts;

/// <summary>iex_getValidators: the validator set that signs <see cref="NextHeight"/>, as of <see cref="BlockNumber"/>.</summary>
public sealed record ValidatorsResult(Quantity BlockNumber, Quantity NextHeight, string ValidatorSetHash, IReadOnlyList<ValidatorResult> Validators);

/// <summary>
/// A validator's power and standing. <see cref="ProposerPriority"/> is a signed decimal string (it
/// may be negative, so it is no quantity).
/// </summary>
public sealed record ValidatorResult(
    string Address,
    Quantity VotingPower,
    string ProposerPriority,
    Quantity Stake,
    Quantity Reputation,
    bool Admitted,
    Quantity JailedUntil,
    Quantity Slashed,
    Quantity BlocksSigned,
    Quantity BlocksMissed);
