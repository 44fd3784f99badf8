using IExecChain.Core.Primitives;

namespace IExecChain.Core.Checkpoints;

/// <summary>A validator's 65-byte signature (r ‖ s ‖ recovery id 0/1, low s) over <see cref="Checkpoint.Digest"/>.</summary>
public sealed record CheckpointSignature(Address Validator, byte[] Signature);

/// <summary>
/// A checkpoint with the signatures gathered for it and, when it rotates the set
/// (<see cref="Checkpoint.NextValidatorSetHash"/> differs from the signing set's digest), the
/// next set itself, which the anchor contract needs to check that hash.
/// </summary>
public sealed record SignedCheckpoint(
    Checkpoint Checkpoint,
    IReadOnlyList<CheckpointSignature> Signatures,
    IReadOnlyList<ValidatorPower> NextValidatorSet);
