using IExecChain.Core.Blocks;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Ethereum.Tests.Support;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests;

/// <summary>Contracts/Anchor.sol on a real ganache, driven with call data built here.</summary>
[TestFixture]
public sealed class AnchorContractTests
{
    private const ulong SideChainId = 77;
    private Ganache _ganache = null!;
    private static PrivateKey Sender => Ganache.Accounts[0];

    [OneTimeSetUp]
    public async Task StartGanache() => _ganache = await Ganache.StartAsync();

    [OneTimeTearDown]
    public void StopGanache() => _ganache?.Dispose();

    private async Task<AnchorContract> DeployAsync(TestChain chain, ulong firstNumber = 1, ulong firstHeight = 1)
    {
        var data = AnchorContract.DeploymentData(AnchorArtifact.Bytecode, chain.ChainId, firstNumber, firstHeight, TestValidators.Powers(chain.Validators));
        var (address, _) = await _ganache.DeployAsync(Sender, data);
        return new AnchorContract(_ganache.Rpc, address);
    }

    private static byte[] CallData(SignedCheckpoint signed, IReadOnlyList<ValidatorPower> currentSet, IReadOnlyList<ValidatorPower>? next = null) =>
        AnchorContract.AnchorCallData(signed.Checkpoint, QuorumSelector.Select(signed, currentSet), next);

    private async Task<TransactionReceipt> AnchorAsync(AnchorContract contract, byte[] data) =>
        await _ganache.SendAsync(Sender, contract.Address, data, gas: 3_000_000);

    private async Task<string> RevertOf(AnchorContract contract, byte[] data)
    {
        var e = await Assert.ThrowsAsync<EthereumRpcException>(() => _ganache.Rpc.CallAsync(contract.Address, data, Sender.Address));
        Assert.That(e!.RevertData, Is.Not.Null, $"no revert data in: {e.Message}");
        var receipt = await AnchorAsync(contract, data);
        Assert.That(receipt.Succeeded, Is.False, "the same call data sent as a transaction must revert too");
        return AnchorContract.DescribeRevert(e.RevertData);
    }

    [Test]
    public async Task Twelve_consecutive_checkpoints_across_a_validator_set_change_are_anchored_and_read_back()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var contract = await DeployAsync(chain);
        var newSet = TestValidators.Set(7, from: 2);
        for (int i = 0; i < 12; i++)
        {
            var current = TestValidators.Powers(chain.Validators);
            var signed = chain.Add(blocks: 3 + i % 4, nextSet: i == 5 ? newSet : null);
            bool rotates = i == 5;
            var receipt = await AnchorAsync(contract, CallData(signed, current, rotates ? signed.NextValidatorSet : null));
            Assert.That(receipt.Succeeded, Is.True, $"checkpoint {signed.Checkpoint.Number} reverted");
        }

        Assert.That(await contract.NextAsync(), Is.EqualTo((13UL, chain.Checkpoints[^1].Checkpoint.LastHeight + 1)));
        var latest = await contract.LatestCheckpointAsync();
        Assert.That(latest, Is.EqualTo((12UL, chain.Checkpoints[^1].Checkpoint.Digest())));
        foreach (var signed in chain.Checkpoints)
        {
            var cp = signed.Checkpoint;
            Assert.That(await contract.AnchoredDigestAsync(cp.Number), Is.EqualTo(cp.Digest()), $"digest of {cp.Number}");
            Assert.That(await contract.IsAnchoredAsync(cp), Is.True);
            Assert.That(await contract.IsAnchoredAsync(cp with { StateRoot = chain.RandomHash() }), Is.False, "a different state root is not anchored");
            Assert.That(await contract.IsAnchoredAsync(cp with { BlocksRoot = chain.RandomHash() }), Is.False, "a different blocks root is not anchored");
        }
        Assert.That(await contract.ValidatorSetAsync(), Is.EqualTo(TestValidators.Powers(newSet)));
        Assert.That(await contract.ValidatorSetHashAsync(), Is.EqualTo(ValidatorSetDigest.Compute(TestValidators.Powers(newSet))));
        Assert.That(await contract.AnchoredDigestAsync(13), Is.EqualTo(Hash256.Zero));
    }

    [Test]
    public async Task A_real_chain_is_anchored_across_an_epoch_boundary_where_two_thirds_of_the_power_leave()
    {
        var (chain, stays, _) = CommitteeChain.TwoThirdsOfThePowerLeaveAtTheFirstEpochBoundary();
        var current = (IReadOnlyList<ValidatorPower>)CommitteeChain.Powers(chain.ValidatedBy(1));
        var (address, _) = await _ganache.DeployAsync(Sender, AnchorContract.DeploymentData(AnchorArtifact.Bytecode, CommitteeChain.ChainId, 1, 1, current));
        var contract = new AnchorContract(_ganache.Rpc, address);
        for (ulong n = 1; n <= 3; n++)
        {
            // Every signature the chain recorded from a member of the contract's current set, in set order
            // (not a relayer's quorum, which would refuse too little power itself): the contract judges.
            var signed = chain.Checkpoint(n);
            var members = current.Select(v => v.Address).ToList();
            var signatures = signed.Signatures.Select(s => (Index: members.IndexOf(s.Validator), s.Signature)).Where(s => s.Index >= 0).OrderBy(s => s.Index).ToList();
            bool rotates = signed.Checkpoint.NextValidatorSetHash != ValidatorSetDigest.Compute(current);
            var data = AnchorContract.AnchorCallData(signed.Checkpoint, signatures, rotates ? signed.NextValidatorSet : null);
            try
            {
                await _ganache.Rpc.CallAsync(contract.Address, data, Sender.Address);
            }
            catch (EthereumRpcException e)
            {
                Assert.Fail($"checkpoint {n} reverts: {AnchorContract.DescribeRevert(e.RevertData)}");
            }
            Assert.That((await AnchorAsync(contract, data)).Succeeded, Is.True, $"checkpoint {n} reverted");
            current = signed.NextValidatorSet;
        }
        Assert.That(await contract.LatestCheckpointAsync(), Is.EqualTo((3UL, chain.Checkpoint(3).Checkpoint.Digest())));
        Assert.That((await contract.ValidatorSetAsync()).Select(v => v.Address), Is.EqualTo(new[] { stays.Address }), "the contract follows the set that lost 2/3 of its power");
    }

    [Test]
    public async Task Contract_digests_match_the_chain_digests()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var contract = await DeployAsync(chain);
        var cp = chain.Add().Checkpoint with { ChainId = ulong.MaxValue, Number = 0x0102030405060708, FirstHeight = 9, LastHeight = ulong.MaxValue - 1 };
        var output = await _ganache.Rpc.CallAsync(contract.Address, AnchorContract.CheckpointDigestFunction.EncodeCall([AnchorContract.Tuple(cp)]));
        Assert.That(new Hash256(output), Is.EqualTo(cp.Digest()));
        Assert.That(await contract.ValidatorSetHashAsync(), Is.EqualTo(ValidatorSetDigest.Compute(TestValidators.Powers(chain.Validators))));
    }

    [Test]
    public async Task Anchored_events_carry_the_roots()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var contract = await DeployAsync(chain);
        var signed = chain.Add();
        var receipt = await AnchorAsync(contract, CallData(signed, TestValidators.Powers(chain.Validators)));
        var topic = Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes("CheckpointAnchored(uint64,uint64,uint64,bytes32,bytes32,bytes32,bytes32)"));
        var log = receipt.Logs.Single(l => l.Topics[0] == topic);
        Assert.That(log.Address, Is.EqualTo(contract.Address));
        Assert.That(new Hash256(log.Data.AsSpan(64, 32)), Is.EqualTo(signed.Checkpoint.BlocksRoot));
        Assert.That(new Hash256(log.Data.AsSpan(96, 32)), Is.EqualTo(signed.Checkpoint.StateRoot));
        Assert.That(new Hash256(log.Data.AsSpan(160, 32)), Is.EqualTo(signed.Checkpoint.WithdrawalsRoot));
    }

    [Test]
    public async Task Too_little_power_is_rejected()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var contract = await DeployAsync(chain);
        var signed = chain.Add();
        var set = TestValidators.Powers(chain.Validators);
        // Exactly 2/3 is not enough: powers 10..13 of 4 validators; take the two largest and one more only if it crosses 2/3.
        var two = QuorumSelector.Select(signed, set).Take(2).ToList();
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(signed.Checkpoint, two, null)), Does.StartWith("InsufficientPower("));
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(signed.Checkpoint, [], null)), Does.StartWith("InsufficientPower("));
    }

    [Test]
    public async Task A_duplicated_or_unsorted_signer_is_rejected()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var contract = await DeployAsync(chain);
        var signed = chain.Add();
        var all = Enumerable.Range(0, 4).Select(i => (i, chain.Validators[i].Key.Sign(signed.Checkpoint.Digest()))).ToList();
        var duplicated = new List<(int, byte[])> { all[0], all[1], all[1], all[2] };
        var unsorted = new List<(int, byte[])> { all[0], all[2], all[1], all[3] };
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(signed.Checkpoint, duplicated, null)), Is.EqualTo("SignersNotSorted(2)"));
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(signed.Checkpoint, unsorted, null)), Is.EqualTo("SignersNotSorted(2)"));
        var receipt = await AnchorAsync(contract, AnchorContract.AnchorCallData(signed.Checkpoint, all, null));
        Assert.That(receipt.Succeeded, Is.True, "the same signatures in order are accepted");
    }

    [Test]
    public async Task A_signer_outside_the_set_is_rejected()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var contract = await DeployAsync(chain);
        var signed = chain.Add();
        var outsider = TestValidators.Key(99);
        var digest = signed.Checkpoint.Digest();
        var signatures = Enumerable.Range(0, 4).Select(i => (i, chain.Validators[i].Key.Sign(digest))).ToList();
        signatures[1] = (1, outsider.Sign(digest));
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(signed.Checkpoint, signatures, null)),
            Is.EqualTo($"UnknownSigner(1, {outsider.Address})"));
        var outOfRange = signatures.Take(1).Append((7, outsider.Sign(digest))).ToList();
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(signed.Checkpoint, outOfRange, null)), Does.StartWith("UnknownSigner(1,"));
        var otherDigest = Enumerable.Range(0, 4).Select(i => (i, chain.Validators[i].Key.Sign(Keccak256.Hash([1, 2, 3])))).ToList();
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(signed.Checkpoint, otherDigest, null)), Does.StartWith("UnknownSigner(0,"));
    }

    [Test]
    public async Task A_gap_a_repeat_and_a_wrong_chain_id_are_rejected()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var contract = await DeployAsync(chain);
        var set = TestValidators.Powers(chain.Validators);
        var first = chain.Add();
        var second = chain.Add();
        Assert.That(await RevertOf(contract, CallData(second, set)), Is.EqualTo("NotContiguous(1, 1)"), "checkpoint 2 before 1");
        Assert.That((await AnchorAsync(contract, CallData(first, set))).Succeeded, Is.True);
        Assert.That(await RevertOf(contract, CallData(first, set)), Is.EqualTo("AlreadyAnchored(1)"));

        var heightGap = second.Checkpoint with { FirstHeight = second.Checkpoint.FirstHeight + 1 };
        var gapSigned = new SignedCheckpoint(heightGap, TestChain.Sign(heightGap, chain.Validators), second.NextValidatorSet);
        Assert.That(await RevertOf(contract, CallData(gapSigned, set)), Does.StartWith("NotContiguous(2,"));

        var otherChain = second.Checkpoint with { ChainId = SideChainId + 1 };
        var otherSigned = new SignedCheckpoint(otherChain, TestChain.Sign(otherChain, chain.Validators), second.NextValidatorSet);
        Assert.That(await RevertOf(contract, CallData(otherSigned, set)), Is.EqualTo($"WrongChainId({SideChainId}, {SideChainId + 1})"));

        Assert.That((await AnchorAsync(contract, CallData(second, set))).Succeeded, Is.True, "the real checkpoint 2 still goes through");
    }

    [Test]
    public async Task A_forged_set_rotation_is_rejected()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var contract = await DeployAsync(chain);
        var set = TestValidators.Powers(chain.Validators);
        var honestNext = TestValidators.Set(5, from: 10);
        var signed = chain.Add(nextSet: honestNext);
        var forged = TestValidators.Powers(TestValidators.Set(5, from: 20));
        Assert.That(await RevertOf(contract, CallData(signed, set, forged)), Does.StartWith("ValidatorSetMismatch("));
        Assert.That(await RevertOf(contract, CallData(signed, set, null)), Does.StartWith("ValidatorSetMismatch("), "rotation without the set");

        // A set the validators did not sign cannot be slipped in by changing the hash either.
        var tampered = signed.Checkpoint with { NextValidatorSetHash = ValidatorSetDigest.Compute(forged) };
        var reused = signed.Signatures.Select((sig, i) => (i, sig.Signature)).ToList();
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(tampered, reused, forged)), Does.StartWith("UnknownSigner(0,"));

        Assert.That((await AnchorAsync(contract, CallData(signed, set, signed.NextValidatorSet))).Succeeded, Is.True);
        Assert.That(await contract.ValidatorSetAsync(), Is.EqualTo(TestValidators.Powers(honestNext)));
        var afterRotation = chain.Add();
        Assert.That(await RevertOf(contract, AnchorContract.AnchorCallData(afterRotation.Checkpoint,
            TestChain.Sign(afterRotation.Checkpoint, TestValidators.Set(4)).Select((s, i) => (i, s.Signature)).ToList(), null)),
            Does.StartWith("UnknownSigner("), "the old set no longer signs");
    }

    [Test]
    public async Task A_sidechain_block_hash_is_verified_against_an_anchored_root()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4), firstNumber: 5, firstHeight: 100);
        var contract = await DeployAsync(chain, firstNumber: 5, firstHeight: 100);
        var signed = chain.Add(blocks: 7);
        Assert.That((await AnchorAsync(contract, CallData(signed, TestValidators.Powers(chain.Validators)))).Succeeded, Is.True);
        var cp = signed.Checkpoint;
        var blocks = chain.BlocksOf(cp.Number);
        for (int i = 0; i < blocks.Count; i++)
        {
            var proof = MerkleRoot.Prove(blocks, i);
            Assert.That(await contract.VerifyBlockHashAsync(cp, cp.FirstHeight + (ulong)i, blocks[i], proof), Is.True, $"block {i}");
        }
        var proof3 = MerkleRoot.Prove(blocks, 3);
        Assert.That(await contract.VerifyBlockHashAsync(cp, cp.FirstHeight + 3, chain.RandomHash(), proof3), Is.False, "unknown hash");
        Assert.That(await contract.VerifyBlockHashAsync(cp, cp.FirstHeight + 2, blocks[3], proof3), Is.False, "right hash, wrong height");
        Assert.That(await contract.VerifyBlockHashAsync(cp, cp.FirstHeight + 3, blocks[3], proof3.Take(2).ToList()), Is.False, "short proof");
        Assert.That(await contract.VerifyBlockHashAsync(cp with { StateRoot = Hash256.Zero }, cp.FirstHeight + 3, blocks[3], proof3), Is.False, "checkpoint not anchored");
        Assert.That(await contract.VerifyBlockHashAsync(cp, cp.LastHeight + 1, blocks[3], proof3), Is.False, "height outside the checkpoint");
    }
}
