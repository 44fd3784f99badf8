using System.Numerics;
using System.Text.Json;
using IExecChain.Ethereum.Bridge;
using IExecChain.Core.Bridge;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Abi;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.Ethereum.Transactions;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests;

/// <summary>EIP-1559 transactions, ABI and the checkpoint digests against ethers v6 (js/vectors.mjs).</summary>
public sealed class EthersInteropTests
{
    private static readonly PrivateKey[] Keys = Enumerable.Range(1, 3).Select(i => TestVectorsKey(i)).ToArray();

    private static PrivateKey TestVectorsKey(int i) => new(Keccak256.HashToArray(System.Text.Encoding.ASCII.GetBytes($"iexecchain-test/eip1559/{i}")));

    private static readonly Eip1559Transaction[] Transactions =
    [
        new(1, 0, 0, 0, 21_000, Address.Parse("0x000000000000000000000000000000000000dead"), 0, []),
        new(1337, 9, 1_500_000_000, 30_000_000_000, 125_000, Address.Parse("0x5a19599fac269c1501ec9ba1232475af3ee4b7fe"),
            BigInteger.Parse("1000000000000000000", System.Globalization.CultureInfo.InvariantCulture), Hex.Decode("0xa9059cbb0000000000000000000000000000000000000000000000000000000000000001")),
        new(11155111, 70_000, 2, BigInteger.Parse("340282366920938463463374607431768211455", System.Globalization.CultureInfo.InvariantCulture), 10_000_000, null, 5, new byte[300],
            [new AccessListEntry(Address.Parse("0x00000000000000000000000000000000000000aa"), [Hash256.Zero, Keccak256.Hash([1])])]),
    ];

    [Test]
    public void Signed_eip1559_transactions_match_ethers_and_decode_back()
    {
        var input = new
        {
            transactions = Transactions.Select((t, i) => new
            {
                privateKey = Keys[i].ToHex(), chainId = t.ChainId.ToString(), nonce = t.Nonce, maxPriorityFeePerGas = t.MaxPriorityFeePerGas.ToString(),
                maxFeePerGas = t.MaxFeePerGas.ToString(), gasLimit = t.GasLimit.ToString(), to = t.To?.ToString(), value = t.Value.ToString(),
                data = Hex.Encode(t.Data),
                accessList = (t.AccessList ?? []).Select(e => new { address = e.Address.ToString(), storageKeys = e.StorageKeys.Select(k => k.ToString()).ToArray() }).ToArray(),
            }).ToArray(),
            abi = Array.Empty<object>(), checkpoints = Array.Empty<object>(), validatorSets = Array.Empty<object>(),
        };
        var output = NodeTools.RunScriptWithInput("vectors.mjs", input).GetProperty("transactions");
        for (int i = 0; i < Transactions.Length; i++)
        {
            var expected = output[i];
            var signed = Transactions[i].Sign(Keys[i]);
            Assert.That(Transactions[i].SigningHash().ToString(), Is.EqualTo(expected.GetProperty("unsignedHash").GetString()), $"signing hash {i}");
            Assert.That(signed.RawHex, Is.EqualTo(expected.GetProperty("raw").GetString()), $"raw {i}");
            Assert.That(signed.Hash.ToString(), Is.EqualTo(expected.GetProperty("hash").GetString()), $"hash {i}");
            var (decoded, sender) = Eip1559Transaction.Decode(Hex.Decode(expected.GetProperty("raw").GetString()!));
            Assert.That(sender, Is.EqualTo(Keys[i].Address));
            Assert.That(decoded.WithSignature(Keys[i].Sign(decoded.SigningHash())).RawHex, Is.EqualTo(signed.RawHex));
        }
    }

    [Test]
    public void Abi_encoding_of_the_anchor_call_matches_ethers()
    {
        var types = new[] { "(uint64,uint64,uint64,uint64,bytes32,bytes32,bytes32,bytes32)", "bytes", "uint256[]" };
        var checkpoint = new object[] { 7UL, 3UL, 11UL, 20UL, Keccak256.Hash([1]), Keccak256.Hash([2]), Keccak256.Hash([3]), Keccak256.Hash([4]) };
        var signatures = Enumerable.Range(0, 130).Select(i => (byte)i).ToArray();
        var entries = new List<object> { BigInteger.Pow(2, 200) + 5, 12 };
        var ours = AbiCodec.Encode(types.Select(AbiType.Parse).ToArray(), [checkpoint, signatures, entries]);
        var input = new
        {
            transactions = Array.Empty<object>(), checkpoints = Array.Empty<object>(), validatorSets = Array.Empty<object>(),
            abi = new[]
            {
                new
                {
                    types,
                    values = new object[]
                    {
                        checkpoint.Select(v => v is Hash256 h ? h.ToString() : v.ToString()).ToArray(),
                        Hex.Encode(signatures),
                        entries.Select(e => e.ToString()).ToArray(),
                    },
                },
            },
        };
        var theirs = NodeTools.RunScriptWithInput("vectors.mjs", input).GetProperty("abi")[0].GetString();
        Assert.That(Hex.Encode(ours), Is.EqualTo(theirs));
    }

    [Test]
    public void Checkpoint_validator_set_and_withdrawal_digests_match_ethers_solidity_packed_keccak()
    {
        var checkpoint = new Checkpoint(0x1122334455667788, 42, 401, 410, Keccak256.Hash([1]), Keccak256.Hash([2]), Keccak256.Hash([3]), Keccak256.Hash([4]));
        var withdrawal = new Withdrawal(0x0102030405060708, TestVectorsKey(20).Address, 0xF0E0D0C0B0A09080);
        var set = Enumerable.Range(0, 5).Select(i => TestVectorsKey(10 + i).Address).Order()
            .Select((a, i) => new ValidatorPower(a, (ulong)(i + 1) * 1_000_000_007UL)).ToList();
        var input = new
        {
            transactions = Array.Empty<object>(), abi = Array.Empty<object>(),
            checkpoints = new[]
            {
                new
                {
                    chainId = checkpoint.ChainId.ToString(), number = checkpoint.Number.ToString(), firstHeight = checkpoint.FirstHeight.ToString(),
                    lastHeight = checkpoint.LastHeight.ToString(), blocksRoot = checkpoint.BlocksRoot.ToString(), stateRoot = checkpoint.StateRoot.ToString(),
                    nextValidatorSetHash = checkpoint.NextValidatorSetHash.ToString(), withdrawalsRoot = checkpoint.WithdrawalsRoot.ToString(),
                },
            },
            withdrawals = new[] { new { id = withdrawal.Id.ToString(), recipient = withdrawal.Recipient.ToString(), amount = withdrawal.Amount.ToString() } },
            validatorSets = new[] { set.Select(v => new { address = v.Address.ToString(), power = v.Power.ToString() }).ToArray() },
        };
        var output = NodeTools.RunScriptWithInput("vectors.mjs", input);
        Assert.That(checkpoint.Digest().ToString(), Is.EqualTo(output.GetProperty("checkpoints")[0].GetString()));
        Assert.That(ValidatorSetDigest.Compute(set).ToString(), Is.EqualTo(output.GetProperty("validatorSets")[0].GetString()));
        Assert.That(withdrawal.LeafHash().ToString(), Is.EqualTo(output.GetProperty("withdrawals")[0].GetString()));
    }

    [Test]
    public void Contract_creation_addresses_match_ethers()
    {
        // Nonces across RLP's boundaries: 0 (empty string), 1..127 (one byte), 128+ (length-prefixed), 2^56+.
        ulong[] nonces = [0, 1, 2, 127, 128, 255, 256, 65_535, 1UL << 56, ulong.MaxValue - 1];
        var from = TestVectorsKey(30).Address;
        var input = new
        {
            transactions = Array.Empty<object>(), abi = Array.Empty<object>(), checkpoints = Array.Empty<object>(), validatorSets = Array.Empty<object>(),
            createAddresses = nonces.Select(n => new { from = from.ToString(), nonce = n.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray(),
        };
        var output = NodeTools.RunScriptWithInput("vectors.mjs", input).GetProperty("createAddresses");
        for (int i = 0; i < nonces.Length; i++)
            Assert.That(EthereumSender.CreateAddress(from, nonces[i]).ToString(), Is.EqualTo(output[i].GetString()), $"nonce {nonces[i]}");
    }

    [Test]
    public void Bridge_and_token_call_data_match_ethers_interface_encoding()
    {
        var checkpoint = new Checkpoint(77, 5, 41, 50, Keccak256.Hash([1]), Keccak256.Hash([2]), Keccak256.Hash([3]), Keccak256.Hash([4]));
        var recipient = TestVectorsKey(21).Address;
        var bridge = TestVectorsKey(22).Address;
        var withdrawal = new Withdrawal(0x0102030405, recipient, 12_345_678_901);
        var proof = new[] { Keccak256.Hash([5]), Keccak256.Hash([6]) };
        var deposit = new BridgeDepositEvent(0x0a0b0c, bridge, recipient, 9_000_000_001, Keccak256.Hash([9]), 1234, Keccak256.Hash([10]));
        string H(Hash256 h) => h.ToString();
        var cases = new (ContractArtifact Contract, string Name, object[] Values, byte[] Ours)[]
        {
            (BridgeArtifacts.Bridge, "claim",
                [new[] { "77", "5", "41", "50", H(checkpoint.BlocksRoot), H(checkpoint.StateRoot), H(checkpoint.NextValidatorSetHash), H(checkpoint.WithdrawalsRoot) },
                    withdrawal.Id.ToString(), recipient.ToString(), withdrawal.Amount.ToString(), "3", "7", proof.Select(H).ToArray()],
                BridgeContract.ClaimCallData(checkpoint, withdrawal, 3, 7, proof)),
            (BridgeArtifacts.Bridge, "deposit", ["50000000000", recipient.ToString()], BridgeContract.DepositCallData(50_000_000_000, recipient)),
            (BridgeArtifacts.Bridge, "exit",
                [new[] { "77", "5", "41", "50", H(checkpoint.BlocksRoot), H(checkpoint.StateRoot), H(checkpoint.NextValidatorSetHash), H(checkpoint.WithdrawalsRoot) },
                    recipient.ToString(), "0x08ff01100718c8", proof.Select(H).ToArray()],
                BridgeContract.ExitCallData(checkpoint, recipient, [0x08, 0xff, 0x01, 0x10, 0x07, 0x18, 0xc8], proof)),
            (BridgeArtifacts.Bridge, "refund",
                [new[] { "77", "5", "41", "50", H(checkpoint.BlocksRoot), H(checkpoint.StateRoot), H(checkpoint.NextValidatorSetHash), H(checkpoint.WithdrawalsRoot) },
                    deposit.Id.ToString(), deposit.Depositor.ToString(), deposit.Recipient.ToString(), deposit.Amount.ToString(),
                    new object[] { true, "0x08011002", H(Hash256.Zero), H(Hash256.Zero), proof.Select(H).ToArray() }],
                BridgeContract.RefundCallData(checkpoint, deposit, [0x08, 0x01, 0x10, 0x02], null, null, proof)),
            (BridgeArtifacts.Bridge, "refund",
                [new[] { "77", "5", "41", "50", H(checkpoint.BlocksRoot), H(checkpoint.StateRoot), H(checkpoint.NextValidatorSetHash), H(checkpoint.WithdrawalsRoot) },
                    deposit.Id.ToString(), deposit.Depositor.ToString(), deposit.Recipient.ToString(), deposit.Amount.ToString(),
                    new object[] { false, "0x", H(Keccak256.Hash([7])), H(Keccak256.Hash([8])), Array.Empty<string>() }],
                BridgeContract.RefundCallData(checkpoint, deposit, null, Keccak256.Hash([7]), Keccak256.Hash([8]), [])),
            (BridgeArtifacts.Bridge, "exitStake",
                [new[] { "77", "5", "41", "50", H(checkpoint.BlocksRoot), H(checkpoint.StateRoot), H(checkpoint.NextValidatorSetHash), H(checkpoint.WithdrawalsRoot) },
                    recipient.ToString(), "0x08021a0408011005", proof.Select(H).ToArray()],
                BridgeContract.ExitStakeCallData(checkpoint, recipient, [0x08, 0x02, 0x1a, 0x04, 0x08, 0x01, 0x10, 0x05], proof)),
            (BridgeArtifacts.Bridge, "checkFreeze", [], BridgeContract.CheckFreezeCallData()),
            (BridgeArtifacts.TestRlc, "approveAndCall", [bridge.ToString(), "7000000003", recipient.ToString()], BridgeContract.ApproveAndCallData(bridge, 7_000_000_003, recipient)),
            (BridgeArtifacts.TestRlc, "approve", [bridge.ToString(), "1"], BridgeContract.ApproveCallData(bridge, 1)),
            (BridgeArtifacts.TestRlc, "mint", [recipient.ToString(), "18446744073709551615"], BridgeContract.MintCallData(recipient, ulong.MaxValue)),
        };
        var input = new
        {
            transactions = Array.Empty<object>(), abi = Array.Empty<object>(), checkpoints = Array.Empty<object>(), validatorSets = Array.Empty<object>(),
            calls = cases.Select(c => new { abi = JsonDocument.Parse(c.Contract.Abi).RootElement, name = c.Name, values = c.Values }).ToArray(),
        };
        var theirs = NodeTools.RunScriptWithInput("vectors.mjs", input).GetProperty("calls");
        for (int i = 0; i < cases.Length; i++)
            Assert.That(Hex.Encode(cases[i].Ours), Is.EqualTo(theirs[i].GetString()), cases[i].Name);
    }
}
