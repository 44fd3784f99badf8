using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Execution;

/// <summary>
/// Where each record lives in the state tree: keccak256(kind byte ‖ identifier). Hashing spreads
/// keys evenly over the tree, and the kind byte keeps different records from ever colliding.
/// </summary>
public static class StateKeys
{
    private const byte AccountKind = 0x01;
    private const byte StakeKind = 0x02;
    private const byte UnbondingQueueKind = 0x03;
    private const byte ValidatorSetKind = 0x04;

    public static Hash256 Account(Address address) => OfAddress(AccountKind, address);

    public static Hash256 Stake(Address address) => OfAddress(StakeKind, address);

    public static Hash256 UnbondingQueue(ulong height)
    {
        Span<byte> buffer = stackalloc byte[9];
        buffer[0] = UnbondingQueueKind;
        BinaryPrimitives.WriteUInt64BigEndian(buffer[1..], height);
        return Keccak256.Hash(buffer);
    }

    public static Hash256 ValidatorSet { get; } = Keccak256.Hash([ValidatorSetKind]);

    private static Hash256 OfAddress(byte kind, Address address)
    {
        Span<byte> buffer = stackalloc byte[1 + Address.Size];
        buffer[0] = kind;
        address.CopyTo(buffer[1..]);
        return Keccak256.Hash(buffer);
    }
}
