using System.Text.Json;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// iex_getProof checked the way an outside client would: the proof is verified with a verifier
/// written here from the hash rules in docs/rpc.md and docs/state-tree.md (only Keccak-256 comes
/// from the node's code), against the state root of a block the node serves.
/// </summary>
[NonParallelizable]
public class ProofRpcTests
{
    private const string Validator0 = "0xaeaa3d916128a88CeB792199a74879D8df29ae6B";

    [Test]
    public async Task Account_proof_from_rpc_verifies_against_the_block_state_root_independently()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        using var client = new JsonRpcClient(chain.Rpc);

        // Inclusion: a dev account funded in genesis.
        var funded = DevChain.DevAddress("account", 0).ToString();
        var (proof, root) = await ProofAndBlockRootAsync(client, funded, "account");
        Assert.That(proof.Key, Is.EqualTo(StateKey(0x01, funded)), "account key = keccak256(0x01 || address)");
        Assert.That(proof.Value, Is.Not.Null, "a funded account has a value");
        Assert.That(proof.OtherLeafKey, Is.Null);
        Assert.That(Verify(root, proof), Is.True, "inclusion proof must verify against the block's state root");

        var account = await client.CallAsync("iex_getAccount", funded);
        var record = AccountRecord.Parser.ParseFrom(proof.Value);
        Assert.That(record.Balance, Is.GreaterThan(0UL));
        Assert.That(Quantity(record.Balance), Is.EqualTo(account.GetProperty("balance").GetString()));
        Assert.That(Quantity(record.Nonce), Is.EqualTo(account.GetProperty("nonce").GetString()));

        // Tampering: every flipped sibling, a changed value and a wrong key each break the proof.
        for (int i = 0; i < proof.Siblings.Length; i++)
            Assert.That(Verify(root, proof with { Siblings = FlipBit(proof.Siblings, i) }), Is.False, $"sibling {i} flipped");
        Assert.That(Verify(root, proof with { Value = [.. proof.Value!, 0x00] }), Is.False, "value changed");
        Assert.That(Verify(root, proof with { Key = StateKey(0x02, funded) }), Is.False, "proof of another key");
        Assert.That(Verify(root, proof with { Value = null }), Is.False, "a present key cannot be proven absent with its own path");

        // Non-inclusion: an address nobody ever used.
        var unused = Hex.Encode(Keccak256.HashToArray(Guid.NewGuid().ToByteArray()).AsSpan(0, 20));
        var (absent, absentRoot) = await ProofAndBlockRootAsync(client, unused, "account");
        Assert.That(absent.Key, Is.EqualTo(StateKey(0x01, unused)));
        Assert.That(absent.Value, Is.Null, "a never-used address has no value");
        Assert.That(Verify(absentRoot, absent), Is.True, "non-inclusion proof must verify against the block's state root");
        var empty = await client.CallAsync("iex_getAccount", unused);
        Assert.That(empty.GetProperty("balance").GetString(), Is.EqualTo("0x0"));
        Assert.That(empty.GetProperty("nonce").GetString(), Is.EqualTo("0x0"));
        for (int i = 0; i < absent.Siblings.Length; i++)
            Assert.That(Verify(absentRoot, absent with { Siblings = FlipBit(absent.Siblings, i) }), Is.False, $"non-inclusion: sibling {i} flipped");
        if (absent.OtherLeafKey is { } other)
        {
            // The path ended in another key's leaf: claiming that leaf's key is ours must fail.
            Assert.That(Verify(absentRoot, absent with { Key = other }), Is.False, "other leaf key used as the key");
            Assert.That(Verify(absentRoot, absent with { OtherLeafValueHash = FlipBit([absent.OtherLeafValueHash!], 0)[0] }), Is.False, "other leaf value hash flipped");
        }

        // Stake record of dev validator 0 (validator stake set in genesis).
        var (stake, stakeRoot) = await ProofAndBlockRootAsync(client, Validator0, "stake");
        Assert.That(stake.Key, Is.EqualTo(StateKey(0x02, Validator0)), "stake key = keccak256(0x02 || address)");
        Assert.That(stake.Value, Is.Not.Null);
        Assert.That(Verify(stakeRoot, stake), Is.True, "stake proof must verify against the block's state root");
        var stakeRecord = StakeRecord.Parser.ParseFrom(stake.Value);
        Assert.That(stakeRecord.ValidatorStake, Is.GreaterThan(0UL));
        var validator = await client.CallAsync("iex_getAccount", Validator0);
        Assert.That(Quantity(stakeRecord.ValidatorStake), Is.EqualTo(validator.GetProperty("validatorStake").GetString()));
        for (int i = 0; i < stake.Siblings.Length; i++)
            Assert.That(Verify(stakeRoot, stake with { Siblings = FlipBit(stake.Siblings, i) }), Is.False, $"stake: sibling {i} flipped");

        Assert.That(node.HasExited, Is.False, node.Output);
        node.Terminate();
        Assert.That(node.ExitCode, Is.EqualTo(0), node.Output);
    }

    /// <summary>
    /// The proof plus the state root of a block it belongs to. The proof is taken first, then the latest
    /// block; if the head moved in between, retry, and as a last resort accept the proof's root only if
    /// it is the state root of a block at or below latest.
    /// </summary>
    private static async Task<(Proof Proof, byte[] BlockStateRoot)> ProofAndBlockRootAsync(JsonRpcClient client, string address, string record)
    {
        Proof proof = null!;
        JsonElement latest = default;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            proof = Proof.From(await client.CallAsync("iex_getProof", address, record));
            Assert.That(proof.Record, Is.EqualTo(record));
            latest = await client.CallAsync("iex_getBlockByNumber", "latest");
            var latestRoot = Hex.Decode(latest.GetProperty("stateRoot").GetString()!);
            if (latestRoot.AsSpan().SequenceEqual(proof.StateRoot)) return (proof, latestRoot);
        }

        ulong height = Convert.ToUInt64(latest.GetProperty("number").GetString(), 16);
        for (ulong h = height; ; h--)
        {
            var block = await client.CallAsync("iex_getBlockByNumber", "0x" + h.ToString("x"));
            var blockRoot = Hex.Decode(block.GetProperty("stateRoot").GetString()!);
            if (blockRoot.AsSpan().SequenceEqual(proof.StateRoot)) return (proof, blockRoot);
            if (h == 0 || height - h >= 64) break;
        }
        Assert.Fail($"the proof's state root {Hex.Encode(proof.StateRoot)} is not the state root of any recent block");
        throw new InvalidOperationException("unreachable");
    }

    // ---- An independent verifier, from the documented rules only ----

    private sealed record Proof(string Record, byte[] Key, byte[] StateRoot, byte[]? Value, byte[][] Siblings, byte[]? OtherLeafKey, byte[]? OtherLeafValueHash)
    {
        public static Proof From(JsonElement r)
        {
            static byte[]? Optional(JsonElement e, string name) =>
                e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? Hex.Decode(v.GetString()!) : null;
            return new Proof(
                r.GetProperty("record").GetString()!,
                Hex.Decode(r.GetProperty("key").GetString()!),
                Hex.Decode(r.GetProperty("stateRoot").GetString()!),
                Optional(r, "value"),
                r.GetProperty("siblings").EnumerateArray().Select(s => Hex.Decode(s.GetString()!)).ToArray(),
                Optional(r, "otherLeafKey"),
                Optional(r, "otherLeafValueHash"));
        }
    }

    /// <summary>keccak256(kind || address20): 0x01 = account record, 0x02 = stake record.</summary>
    private static byte[] StateKey(byte kind, string address)
    {
        var addr = Hex.Decode(address);
        Assert.That(addr, Has.Length.EqualTo(20));
        return Keccak256.HashToArray([kind, .. addr]);
    }

    private static byte[] Leaf(byte[] key, byte[] valueHash) => Keccak256.HashToArray([0x00, .. key, .. valueHash]);

    private static byte[] Internal(byte[] left, byte[] right) => Keccak256.HashToArray([0x01, .. left, .. right]);

    /// <summary>Bit i of a key, counted from the most significant bit of byte 0.</summary>
    private static int Bit(byte[] key, int i) => (key[i / 8] >> (7 - i % 8)) & 1;

    private static bool Verify(byte[] root, Proof p)
    {
        if (p.Key.Length != 32 || root.Length != 32) return false;
        int depth = p.Siblings.Length;
        if (depth > 256 || p.Siblings.Any(s => s.Length != 32)) return false;

        byte[] node;
        if (p.Value is not null)
        {
            if (p.OtherLeafKey is not null || p.OtherLeafValueHash is not null) return false;
            node = Leaf(p.Key, Keccak256.HashToArray(p.Value));
        }
        else if (p.OtherLeafKey is { } other)
        {
            // Path ends in another key's leaf: it must differ from the key but share its first `depth` bits.
            if (p.OtherLeafValueHash is not { Length: 32 } otherValueHash || other.Length != 32) return false;
            if (other.AsSpan().SequenceEqual(p.Key)) return false;
            for (int i = 0; i < depth; i++)
                if (Bit(other, i) != Bit(p.Key, i)) return false;
            node = Leaf(other, otherValueHash);
        }
        else
        {
            if (p.OtherLeafValueHash is not null) return false;
            node = new byte[32]; // empty slot
        }

        // Siblings are listed from the root down; fold them from the bottom up.
        for (int i = depth - 1; i >= 0; i--)
            node = Bit(p.Key, i) == 0 ? Internal(node, p.Siblings[i]) : Internal(p.Siblings[i], node);
        return node.AsSpan().SequenceEqual(root);
    }

    private static byte[][] FlipBit(byte[][] hashes, int index)
    {
        var copy = hashes.Select(h => (byte[])h.Clone()).ToArray();
        copy[index][31] ^= 0x01;
        return copy;
    }

    private static string Quantity(ulong value) => "0x" + value.ToString("x");
}
