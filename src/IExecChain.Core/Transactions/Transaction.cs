using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.Core.Transactions;

/// <summary>
/// A decoded, structurally valid transaction. The sender is filled in once the signature has been
/// recovered (<see cref="TransactionVerifier"/>), so a transaction object is verified at most once.
/// </summary>
public sealed class Transaction
{
    internal Transaction(byte[] signedBytes, Hash256 id, byte[] bodyBytes, Hash256 bodyHash, TransactionBody body, byte[] signature)
    {
        SignedBytes = signedBytes;
        Id = id;
        BodyBytes = bodyBytes;
        BodyHash = bodyHash;
        Body = body;
        Signature = signature;
    }

    public byte[] SignedBytes { get; }
    public Hash256 Id { get; }
    public byte[] BodyBytes { get; }
    public Hash256 BodyHash { get; }
    public TransactionBody Body { get; }
    public byte[] Signature { get; }

    public ulong Nonce => Body.Nonce;
    public ulong Fee => Body.Fee;
    public int Size => SignedBytes.Length;
    public TransactionBody.PayloadOneofCase Kind => Body.PayloadCase;

    /// <summary>Recovered sender; <see cref="Address.Zero"/> until verified.</summary>
    public Address Sender { get; private set; }
    public bool IsVerified { get; private set; }

    internal void MarkVerified(Address sender)
    {
        Sender = sender;
        IsVerified = true;
    }

    public override string ToString() => $"tx {Id} from {Sender} nonce {Nonce} {Kind}";
}
