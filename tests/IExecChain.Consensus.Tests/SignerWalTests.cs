using System.Text;
using Google.Protobuf;
using IExecChain.Consensus.Bft;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.Consensus.Tests;

[TestFixture]
public sealed class SignerWalTests
{
    private static readonly PrivateKey Key = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/signer")));
    private static readonly Hash256 A = Keccak256.Hash("block A"u8);
    private static readonly Hash256 B = Keccak256.Hash("block B"u8);
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = Path.Combine(Path.GetTempPath(), "iexec-wal-" + Guid.NewGuid().ToString("N")[..10]);

    [TearDown]
    public void RemoveDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void A_restarted_validator_never_signs_a_conflicting_vote()
    {
        Vote first;
        using (var store = new RocksDbStore(_dir))
        {
            var signer = new ValidatorSigner(Key, 7, new ConsensusWal(store));
            first = signer.SignVote(VoteType.Prevote, 10, 2, A, 1)!;
            signer.Flush();   // what the driver does before the vote leaves the node
            Assert.That(first, Is.Not.Null);
            var digest = VoteDigest.Compute(7, VoteType.Prevote, 10, 2, A);
            Assert.That(Secp256k1.TryRecoverAddress(digest, first.Signature.Span, out var signerAddress) && signerAddress == Key.Address, Is.True);
        }

        // As after a crash: a new process opens the same database.
        using (var store = new RocksDbStore(_dir))
        {
            var signer = new ValidatorSigner(Key, 7, new ConsensusWal(store));
            Assert.That(signer.SignVote(VoteType.Prevote, 10, 2, B, 2), Is.Null, "another block at the same position");
            Assert.That(signer.SignVote(VoteType.Prevote, 10, 1, A, 2), Is.Null, "an earlier round");
            var again = signer.SignVote(VoteType.Prevote, 10, 2, A, 3);
            Assert.That(again!.Signature, Is.EqualTo(first.Signature), "the same vote again is the stored signature");
            Assert.That(signer.SignVote(VoteType.Precommit, 10, 2, A, 4), Is.Not.Null, "moving forward is allowed");
            Assert.That(signer.Refusals, Is.EqualTo(2));
        }
    }

    [Test]
    public void Logged_messages_of_an_open_height_survive_a_reopen_and_committed_heights_are_pruned()
    {
        using (var store = new RocksDbStore(_dir))
        {
            var wal = new ConsensusWal(store);
            for (ulong h = 5; h <= 7; h++)
                for (uint r = 0; r < 3; r++)
                    wal.Append(h, new ConsensusEnvelope { Vote = new Vote { Type = VoteType.Prevote, Height = h, Round = r, BlockHash = ByteString.CopyFrom(A.ToArray()) } });
            wal.Prune(6);
        }
        using (var store = new RocksDbStore(_dir))
        {
            var wal = new ConsensusWal(store);
            Assert.That(wal.Read(5), Is.Empty);
            Assert.That(wal.Read(6), Is.Empty);
            var open = wal.Read(7);
            Assert.That(open.Select(m => m.Vote.Round), Is.EqualTo(new uint[] { 0, 1, 2 }), "in the order they were accepted");
            wal.Append(7, new ConsensusEnvelope { Vote = new Vote { Height = 7, Round = 9 } });
            Assert.That(wal.Read(7).Last().Vote.Round, Is.EqualTo(9), "new entries go after the replayed ones");
        }
    }
}
