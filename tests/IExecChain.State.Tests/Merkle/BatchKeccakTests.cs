using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.State.Merkle;
using NUnit.Framework;

namespace IExecChain.State.Tests.Merkle;

public sealed class BatchKeccakTests
{
    [Test]
    public void Single_block_messages_hash_like_Keccak256_for_every_batch_size()
    {
        var random = new Random(7);
        var lanes = new ulong[BatchKeccak.LaneBufferLength];
        var output = new Hash256[BatchKeccak.Ways];
        for (int count = 1; count <= BatchKeccak.Ways; count++)
        {
            var messages = new byte[count][];
            for (int j = 0; j < count; j++)
            {
                // Lengths around the padding edge cases: 0, 64..66, 127..135.
                int length = (count + j) switch { 1 => 0, 2 => 135, 3 => 134, 4 => 65, _ => random.Next(0, 136) };
                messages[j] = new byte[length];
                random.NextBytes(messages[j]);
                BatchKeccak.SetMessage(lanes, j, messages[j]);
            }
            BatchKeccak.Hash(lanes, count, output);
            for (int j = 0; j < count; j++)
                Assert.That(output[j], Is.EqualTo(Keccak256.Hash(messages[j])), $"count {count} message {j} length {messages[j].Length}");
        }
    }

    [Test]
    public void Preimages_of_65_bytes_hash_like_Keccak256()
    {
        var random = new Random(8);
        var lanes = new ulong[BatchKeccak.LaneBufferLength];
        var output = new Hash256[BatchKeccak.Ways];
        var bytes = new byte[32];
        for (int count = 1; count <= BatchKeccak.Ways; count++)
        {
            var preimages = new byte[count][];
            for (int j = 0; j < count; j++)
            {
                random.NextBytes(bytes);
                var a = new Hash256(bytes);
                random.NextBytes(bytes);
                var b = new Hash256(bytes);
                byte prefix = (byte)(j % 2);
                BatchKeccak.SetPreimage65(lanes, j, prefix, a, b);
                preimages[j] = new byte[65];
                preimages[j][0] = prefix;
                a.CopyTo(preimages[j].AsSpan(1));
                b.CopyTo(preimages[j].AsSpan(33));
            }
            BatchKeccak.Hash(lanes, count, output);
            for (int j = 0; j < count; j++)
                Assert.That(output[j], Is.EqualTo(Keccak256.Hash(preimages[j])), $"count {count} preimage {j}");
        }
    }

    [Test]
    public void Messages_longer_than_one_block_are_rejected()
    {
        var lanes = new ulong[BatchKeccak.LaneBufferLength];
        Assert.Throws<ArgumentException>(() => BatchKeccak.SetMessage(lanes, 0, new byte[136]));
    }
}
