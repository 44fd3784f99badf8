using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using NUnit.Framework;

namespace IExecChain.Core.Tests;

public class TransactionCodecTests
{
    private const ulong ChainId = 1337;
    private static readonly PrivateKey Alice = PrivateKey.FromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    private static readonly Address Bob = Address.Parse("0x00000000000000000000000000000000000000b0");

    private static TransactionBody Transfer(ulong nonce = 0, ulong amount = 5, ulong chainId = ChainId) => new()
    {
        ChainId = chainId,
        Nonce = nonce,
        Fee = 1000,
        Transfer = new Transfer { To = ByteString.CopyFrom(Bob.ToArray()), Amount = amount },
    };

    private static Transaction Decode(byte[] bytes)
    {
        Assert.That(TransactionCodec.TryDecode(bytes, ChainId, 4096, out var tx, out var error), Is.True, error);
        return tx!;
    }

    [Test]
    public void Signed_transfer_round_trips_and_recovers_the_sender()
    {
        var bytes = TransactionCodec.Sign(Transfer(nonce: 7), Alice);
        var tx = Decode(bytes);
        Assert.That(new TransactionVerifier().TryVerify(tx, out var error), Is.True, error);
        Assert.That(tx.Sender, Is.EqualTo(Alice.Address));
        Assert.That(tx.Nonce, Is.EqualTo(7));
        Assert.That(tx.Id, Is.EqualTo(Keccak256.Hash(bytes)));
        Assert.That(tx.BodyHash, Is.EqualTo(Keccak256.Hash(tx.BodyBytes)));
    }

    [Test]
    public void Wrong_chain_id_is_rejected_with_both_ids_named()
    {
        var bytes = TransactionCodec.Sign(Transfer(chainId: 99), Alice);
        Assert.That(TransactionCodec.TryDecode(bytes, ChainId, 4096, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("99").And.Contain("1337"));
    }

    [Test]
    public void Body_with_an_unknown_field_is_rejected_as_non_canonical()
    {
        var body = Transfer().ToByteArray().Concat(new byte[] { 0xF8, 0x07, 0x01 }).ToArray(); // field 127 varint = 1
        var signed = new SignedTransaction { Body = ByteString.CopyFrom(body), Signature = ByteString.CopyFrom(Alice.Sign(Keccak256.Hash(body))) };
        Assert.That(TransactionCodec.TryDecode(signed.ToByteArray(), ChainId, 4096, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("non-canonical"));
    }

    [Test]
    public void Body_with_an_explicit_default_field_is_rejected_as_non_canonical()
    {
        // nonce = 0 written explicitly (tag 0x10, value 0) is a second encoding of the same body.
        var canonical = Transfer(nonce: 0).ToByteArray();
        var padded = new byte[] { 0x10, 0x00 }.Concat(canonical).ToArray();
        var signed = new SignedTransaction { Body = ByteString.CopyFrom(padded), Signature = ByteString.CopyFrom(Alice.Sign(Keccak256.Hash(padded))) };
        Assert.That(TransactionCodec.TryDecode(signed.ToByteArray(), ChainId, 4096, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("non-canonical"));
    }

    [Test]
    public void Tampered_body_recovers_a_different_sender()
    {
        var signed = SignedTransaction.Parser.ParseFrom(TransactionCodec.Sign(Transfer(amount: 5), Alice));
        var tampered = new SignedTransaction { Body = Transfer(amount: 500).ToByteString(), Signature = signed.Signature };
        var tx = Decode(tampered.ToByteArray());
        new TransactionVerifier().TryVerify(tx, out _);
        Assert.That(tx.Sender, Is.Not.EqualTo(Alice.Address));
    }

    [TestCase(new byte[0], "empty")]
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF }, "malformed")]
    public void Garbage_is_rejected_with_a_reason(byte[] bytes, string expected)
    {
        Assert.That(TransactionCodec.TryDecode(bytes, ChainId, 4096, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(expected));
    }

    [Test]
    public void Oversized_transaction_is_rejected_before_parsing()
    {
        Assert.That(TransactionCodec.TryDecode(new byte[5000], ChainId, 4096, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("limit is 4096"));
    }

    [Test]
    public void Short_signature_and_missing_payload_are_rejected()
    {
        var shortSig = new SignedTransaction { Body = Transfer().ToByteString(), Signature = ByteString.CopyFrom(new byte[64]) };
        Assert.That(TransactionCodec.TryDecode(shortSig.ToByteArray(), ChainId, 4096, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("65 bytes"));

        var noPayload = TransactionCodec.Sign(new TransactionBody { ChainId = ChainId, Nonce = 1, Fee = 1 }, Alice);
        Assert.That(TransactionCodec.TryDecode(noPayload, ChainId, 4096, out _, out error), Is.False);
        Assert.That(error, Does.Contain("no payload"));
    }

    [Test]
    public void Zero_amount_and_unspecified_stake_role_are_rejected()
    {
        Assert.That(TransactionCodec.TryDecode(TransactionCodec.Sign(Transfer(amount: 0), Alice), ChainId, 4096, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("amount"));
        var stake = new TransactionBody { ChainId = ChainId, Fee = 1, Stake = new Stake { Amount = 10 } };
        Assert.That(TransactionCodec.TryDecode(TransactionCodec.Sign(stake, Alice), ChainId, 4096, out _, out error), Is.False);
        Assert.That(error, Does.Contain("role"));
    }

    [Test]
    public void Batch_verification_reports_each_bad_signature()
    {
        var txs = new List<Transaction>();
        for (int i = 0; i < 40; i++)
        {
            var signed = SignedTransaction.Parser.ParseFrom(TransactionCodec.Sign(Transfer(nonce: (ulong)i), Alice));
            if (i % 10 == 3)
            {
                var sig = signed.Signature.ToByteArray();
                sig[64] = 7; // invalid recovery id
                signed.Signature = ByteString.CopyFrom(sig);
            }
            txs.Add(Decode(signed.ToByteArray()));
        }
        var errors = new TransactionVerifier().VerifyAll(txs);
        for (int i = 0; i < 40; i++)
            Assert.That(errors[i] is null, Is.EqualTo(i % 10 != 3), $"tx {i}");
    }

    /// <summary>
    /// A copy decoded again (a late gossip batch, a rebroadcast, the block) costs no second recovery,
    /// and the cache forgets the oldest ids only generation by generation, keeping the recent ones.
    /// </summary>
    [Test]
    public void The_verifier_recovers_each_id_once_and_keeps_the_recent_generation()
    {
        var verifier = new TransactionVerifier(capacity: 8); // generations of 4
        var bytes = Enumerable.Range(0, 9).Select(n => TransactionCodec.Sign(Transfer(nonce: (ulong)n), Alice)).ToList();
        foreach (var b in bytes.Take(4)) Assert.That(verifier.TryVerify(Decode(b), out _), Is.True);
        Assert.That(verifier.Recoveries, Is.EqualTo(4));

        var copy = Decode(bytes[0]);
        Assert.That(verifier.TryVerify(copy, out _), Is.True);
        Assert.That(copy.Sender, Is.EqualTo(Alice.Address), "the cached sender is given to the copy");
        Assert.That(verifier.Recoveries, Is.EqualTo(4), "a copy of a known id is not recovered again");

        // The fourth filled the first generation: ids 0-3 became the previous one, still known. Three
        // more go to the new current generation.
        foreach (var b in bytes.Skip(4).Take(3)) verifier.TryVerify(Decode(b), out _);
        verifier.TryVerify(Decode(bytes[3]), out _);
        Assert.That(verifier.Recoveries, Is.EqualTo(7), "id 3 is in the previous generation");
        // The next one fills the current generation: ids 4-7 become the previous one, 0-3 are dropped.
        verifier.TryVerify(Decode(bytes[7]), out _);
        verifier.TryVerify(Decode(bytes[4]), out _);
        Assert.That(verifier.Recoveries, Is.EqualTo(8));
        verifier.TryVerify(Decode(bytes[0]), out _);
        Assert.That(verifier.Recoveries, Is.EqualTo(9), "the oldest generation was dropped");
    }
}
