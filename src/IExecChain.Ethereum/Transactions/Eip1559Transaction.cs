using System.Numerics;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Rlp;

namespace IExecChain.Ethereum.Transactions;

/// <summary>An access-list entry: a contract and the storage slots the transaction pre-warms.</summary>
public sealed record AccessListEntry(Address Address, IReadOnlyList<Hash256> StorageKeys);

/// <summary>
/// An EIP-1559 (type 0x02) transaction. The signing hash is
/// keccak256(0x02 ‖ rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value,
/// data, accessList])); the raw form appends yParity, r, s to that list. <see cref="To"/> null
/// creates a contract.
/// </summary>
public sealed record Eip1559Transaction(
    ulong ChainId,
    ulong Nonce,
    BigInteger MaxPriorityFeePerGas,
    BigInteger MaxFeePerGas,
    ulong GasLimit,
    Address? To,
    BigInteger Value,
    byte[] Data,
    IReadOnlyList<AccessListEntry>? AccessList = null)
{
    public const byte Type = 0x02;

    public Hash256 SigningHash()
    {
        var payload = Rlp.Rlp.Encode(RlpItem.List(Fields(null)));
        return Keccak256.HashConcat([Type], payload);
    }

    /// <summary>Signs with <paramref name="key"/> and returns the raw transaction for eth_sendRawTransaction.</summary>
    public SignedEip1559Transaction Sign(PrivateKey key)
    {
        var signature = key.Sign(SigningHash());
        return WithSignature(signature);
    }

    /// <summary>Attaches a 65-byte r ‖ s ‖ recovery id (0/1) signature over <see cref="SigningHash"/>.</summary>
    public SignedEip1559Transaction WithSignature(ReadOnlySpan<byte> signature65)
    {
        if (signature65.Length != 65 || signature65[64] > 1) throw new ArgumentException("expected r ‖ s ‖ v with v in {0, 1}", nameof(signature65));
        var payload = Rlp.Rlp.Encode(RlpItem.List(Fields(signature65.ToArray())));
        var raw = new byte[1 + payload.Length];
        raw[0] = Type;
        payload.CopyTo(raw, 1);
        return new SignedEip1559Transaction(this, raw, Keccak256.Hash(raw));
    }

    /// <summary>Parses a raw type-2 transaction and recovers its sender.</summary>
    public static (Eip1559Transaction Transaction, Address Sender) Decode(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty || raw[0] != Type) throw new RlpException("not an EIP-1559 (type 0x02) transaction");
        var fields = Rlp.Rlp.Decode(raw[1..]).Items;
        if (fields.Count != 12) throw new RlpException($"an EIP-1559 transaction has 12 fields, got {fields.Count}");
        var toBytes = fields[5].Bytes;
        if (toBytes.Length is not (0 or 20)) throw new RlpException("destination must be empty or 20 bytes");
        var accessList = new List<AccessListEntry>();
        foreach (var entry in fields[8].Items)
        {
            if (entry.Items.Count != 2) throw new RlpException($"an access list entry is [address, keys], got {entry.Items.Count} item(s)");
            var address = entry.Items[0].Bytes;
            if (address.Length != Address.Size) throw new RlpException($"an access list address is {Address.Size} bytes, got {address.Length}");
            var keys = new List<Hash256>();
            foreach (var key in entry.Items[1].Items)
            {
                if (key.Bytes.Length != Hash256.Size) throw new RlpException($"an access list storage key is {Hash256.Size} bytes, got {key.Bytes.Length}");
                keys.Add(new Hash256(key.Bytes.Span));
            }
            accessList.Add(new AccessListEntry(new Address(address.Span), keys));
        }
        var transaction = new Eip1559Transaction(
            fields[0].AsUInt64(), fields[1].AsUInt64(), fields[2].AsInteger(), fields[3].AsInteger(), fields[4].AsUInt64(),
            toBytes.Length == 0 ? null : new Address(toBytes.Span), fields[6].AsInteger(), fields[7].Bytes.ToArray(), accessList);
        var yParity = fields[9].AsInteger();
        Span<byte> signature = stackalloc byte[65];
        signature.Clear();
        CopyScalar(fields[10].AsInteger(), signature[..32]);
        CopyScalar(fields[11].AsInteger(), signature[32..64]);
        if (yParity > 1) throw new RlpException("yParity must be 0 or 1");
        signature[64] = (byte)yParity;
        if (!Secp256k1.TryRecoverAddress(transaction.SigningHash(), signature, out var sender))
            throw new RlpException("transaction signature is invalid");
        return (transaction, sender);
    }

    private List<RlpItem> Fields(byte[]? signature)
    {
        var access = new List<RlpItem>();
        foreach (var entry in AccessList ?? [])
        {
            var keys = entry.StorageKeys.Select(k => RlpItem.Of(k.ToArray())).ToList();
            access.Add(RlpItem.List(RlpItem.Of(entry.Address.ToArray()), RlpItem.List(keys)));
        }
        var fields = new List<RlpItem>
        {
            RlpItem.Of(ChainId),
            RlpItem.Of(Nonce),
            RlpItem.Of(MaxPriorityFeePerGas),
            RlpItem.Of(MaxFeePerGas),
            RlpItem.Of(GasLimit),
            RlpItem.Of(To is { } to ? to.ToArray() : []),
            RlpItem.Of(Value),
            RlpItem.Of(Data),
            RlpItem.List(access),
        };
        if (signature is not null)
        {
            fields.Add(RlpItem.Of(signature[64]));
            fields.Add(RlpItem.Of(new BigInteger(signature.AsSpan(0, 32), isUnsigned: true, isBigEndian: true)));
            fields.Add(RlpItem.Of(new BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true)));
        }
        return fields;
    }

    private static void CopyScalar(BigInteger value, Span<byte> destination)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length > 32) throw new RlpException("signature scalar exceeds 32 bytes");
        bytes.CopyTo(destination[(32 - bytes.Length)..]);
    }
}

/// <summary>A signed transaction: raw bytes for eth_sendRawTransaction and its hash.</summary>
public sealed record SignedEip1559Transaction(Eip1559Transaction Transaction, byte[] Raw, Hash256 Hash)
{
    public string RawHex => Hex.Encode(Raw);
}
