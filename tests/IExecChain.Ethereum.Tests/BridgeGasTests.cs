using System.Numerics;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Bridge;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.Bridge;
using IExecChain.Ethereum.Tests.Support;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests;

/// <summary>
/// Gas of the bridge's user calls (receipt gasUsed, 21,000 intrinsic included): deposits, claims with
/// proofs of depth 10 and 20, and exits against state trees of 1,000 and 100,000 accounts. The figures
/// go to benchmarks/RESULTS.md ("Bridge gas"); the bounds only guard them against regressions.
/// </summary>
[TestFixture]
public sealed class BridgeGasTests
{
    private const ulong SideChainId = 77;
    private const ulong Rlc = 1_000_000_000;
    private Ganache _ganache = null!;
    private static PrivateKey Owner => Ganache.Accounts[0];
    private static PrivateKey Alice => Ganache.Accounts[1];

    [OneTimeSetUp]
    public async Task StartGanache() => _ganache = await Ganache.StartAsync();

    [OneTimeTearDown]
    public void StopGanache() => _ganache?.Dispose();

    private async Task<(TestChain Chain, Address Anchor, Address Token, Address Bridge)> DeployAsync()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var (anchor, _) = await _ganache.DeployAsync(Owner, AnchorContract.DeploymentData(AnchorArtifact.Bytecode, SideChainId, 1, 1, TestValidators.Powers(chain.Validators)));
        var (token, _) = await _ganache.DeployAsync(Owner, BridgeArtifacts.TestRlc.Bytecode);
        var (bridge, deployment) = await _ganache.DeployAsync(Owner, BridgeContract.DeploymentData(BridgeArtifacts.Bridge.Bytecode, token, anchor, SideChainId, 3));
        TestContext.Out.WriteLine($"bridge deployment gas={deployment.GasUsed}");
        Assert.That((await _ganache.SendAsync(Owner, token, BridgeContract.MintCallData(Alice.Address, 1_000_000 * Rlc))).Succeeded, Is.True);
        return (chain, anchor, token, bridge);
    }

    private async Task<ulong> GasAsync(PrivateKey from, Address to, byte[] data, string what)
    {
        var receipt = await _ganache.SendAsync(from, to, data, gas: 3_000_000);
        Assert.That(receipt.Succeeded, Is.True, what);
        TestContext.Out.WriteLine($"{what}: gas={receipt.GasUsed}");
        return receipt.GasUsed;
    }

    private async Task<SignedCheckpointAnchored> AnchorAsync((TestChain Chain, Address Anchor, Address Token, Address Bridge) d, Hash256? withdrawalsRoot = null, Hash256? stateRoot = null)
    {
        var current = TestValidators.Powers(d.Chain.Validators);
        var signed = d.Chain.Add(withdrawalsRoot: withdrawalsRoot, stateRoot: stateRoot);
        Assert.That((await _ganache.SendAsync(Owner, d.Anchor, AnchorContract.AnchorCallData(signed.Checkpoint, QuorumSelector.Select(signed, current), null), gas: 3_000_000)).Succeeded, Is.True);
        return new SignedCheckpointAnchored(signed.Checkpoint);
    }

    private sealed record SignedCheckpointAnchored(Core.Checkpoints.Checkpoint Checkpoint);

    [Test]
    public async Task Deposit_and_claim_gas()
    {
        var d = await DeployAsync();
        var side = new Address(Keccak256.HashToArray([1]).AsSpan(12));
        ulong approve = await GasAsync(Alice, d.Token, BridgeContract.ApproveCallData(d.Bridge, 10 * Rlc), "approve");
        ulong firstDeposit = await GasAsync(Alice, d.Bridge, BridgeContract.DepositCallData(10 * Rlc, side), "deposit (first: counters from zero)");
        await GasAsync(Alice, d.Token, BridgeContract.ApproveCallData(d.Bridge, 10 * Rlc), "approve");
        ulong deposit = await GasAsync(Alice, d.Bridge, BridgeContract.DepositCallData(10 * Rlc, side), "deposit");
        ulong approveAndCall = await GasAsync(Alice, d.Token, BridgeContract.ApproveAndCallData(d.Bridge, 10 * Rlc, side), "approveAndCall deposit");
        // A deposit stores its hash (one new slot, ~22k) so that a frozen bridge can refund it.
        Assert.That(deposit, Is.LessThan(80_000UL));
        Assert.That(approveAndCall, Is.LessThan(100_000UL));

        foreach (int depth in new[] { 10, 20 })
        {
            // A full period of 2^depth withdrawals: every proof has exactly `depth` siblings.
            int count = 1 << depth;
            var leaves = new Hash256[count];
            var recipient = new Address(Keccak256.HashToArray([2, (byte)depth]).AsSpan(12));
            for (int i = 0; i < count; i++) leaves[i] = new Withdrawal((ulong)i, recipient, 1).LeafHash();
            var cp = await AnchorAsync(d, withdrawalsRoot: MerkleRoot.Compute(leaves));
            ulong[] gas = new ulong[2];
            for (int k = 0; k < 2; k++)
            {
                int index = count - 1 - k;
                var proof = MerkleRoot.Prove(leaves, index);
                Assert.That(proof, Has.Count.EqualTo(depth));
                gas[k] = await GasAsync(Alice, d.Bridge, BridgeContract.ClaimCallData(cp.Checkpoint, new Withdrawal((ulong)index, recipient, 1), (ulong)index, (ulong)count, proof),
                    $"claim, proof depth {depth}, {(k == 0 ? "first" : "second")} in its 256-id word");
            }
            Assert.That(gas[0], Is.LessThan(100_000UL + 1_000UL * (ulong)depth), $"depth {depth}");
        }
        TestContext.Out.WriteLine($"approve={approve} first deposit={firstDeposit} deposit={deposit} approveAndCall={approveAndCall}");
    }

    [TestCase(1_000)]
    [TestCase(100_000)]
    public async Task Exit_and_refund_gas(int accounts)
    {
        var d = await DeployAsync();
        await GasAsync(Alice, d.Token, BridgeContract.ApproveCallData(d.Bridge, 1_001 * Rlc), "approve");
        await GasAsync(Alice, d.Bridge, BridgeContract.DepositCallData(1_000 * Rlc, Alice.Address), "deposit");
        await GasAsync(Alice, d.Bridge, BridgeContract.DepositCallData(Rlc, Alice.Address), "deposit (the anchored state has not credited it)");
        var store = new Storage.MemoryStore();
        var tree = new State.Merkle.StateTree(store);
        var addresses = Enumerable.Range(0, accounts).Select(i => new Address(Keccak256.HashToArray(BitConverter.GetBytes(i)).AsSpan(12))).ToList();
        var update = tree.Prepare(addresses.Select((a, i) => new KeyValuePair<Hash256, byte[]?>(State.Execution.StateKeys.Account(a),
            new AccountRecord { Balance = 1_000_000 + (ulong)i, Frozen = (ulong)i % 3, Nonce = (ulong)i % 50 }.ToByteArray()))
            .Concat(addresses.Take(3).Select(a => new KeyValuePair<Hash256, byte[]?>(State.Execution.StateKeys.Stake(a),
                new StakeRecord { WorkerStake = 100 * Rlc, Unbonding = { new Unbonding { Role = StakeRole.Worker, Amount = Rlc, ReleaseHeight = 1_000 } } }.ToByteArray())))
            .Append(new(State.Execution.StateKeys.BridgeTotals, new BridgeTotals { BridgedSupply = 1_000 * Rlc, NextDepositId = 1, DepositedTotal = 1_000 * Rlc }.ToByteArray())).ToList());
        using (var batch = store.NewBatch())
        {
            tree.Commit(update, batch);
            store.Write(batch);
        }
        var cp = await AnchorAsync(d, stateRoot: tree.Root);
        await GasAsync(Alice, d.Bridge, BridgeContract.CheckFreezeCallData(), "checkFreeze (observe)");
        for (int i = 0; i < 3; i++) await _ganache.MineAsync();
        ulong freeze = await GasAsync(Alice, d.Bridge, BridgeContract.CheckFreezeCallData(), "checkFreeze (freeze)");
        var depths = new List<int>();
        var gas = new List<ulong>();
        foreach (var account in addresses.Take(3))
        {
            var proof = tree.GetProof(State.Execution.StateKeys.Account(account));
            depths.Add(proof.Siblings.Count);
            gas.Add(await GasAsync(Alice, d.Bridge, BridgeContract.ExitCallData(cp.Checkpoint, account, proof.Value!, proof.Siblings), $"exit, {accounts} accounts, proof depth {proof.Siblings.Count}"));
        }
        var stakes = new List<ulong>();
        foreach (var account in addresses.Take(3))
        {
            var proof = tree.GetProof(State.Execution.StateKeys.Stake(account));
            stakes.Add(await GasAsync(Alice, d.Bridge, BridgeContract.ExitStakeCallData(cp.Checkpoint, account, proof.Value!, proof.Siblings), $"exitStake, {accounts} accounts, proof depth {proof.Siblings.Count}"));
        }
        var totals = tree.GetProof(State.Execution.StateKeys.BridgeTotals);
        var uncredited = (await new BridgeContract(_ganache.Rpc, d.Bridge).DepositsAsync(0, await _ganache.Rpc.BlockNumberAsync()))[1];
        ulong refund = await GasAsync(Alice, d.Bridge, BridgeContract.RefundCallData(cp.Checkpoint, uncredited, totals.Value, null, null, totals.Siblings),
            $"refund, {accounts} accounts, proof depth {totals.Siblings.Count}");
        TestContext.Out.WriteLine($"accounts={accounts} freeze={freeze} exit depths={string.Join(",", depths)} gas={string.Join(",", gas)} refund depth={totals.Siblings.Count} gas={refund} exitStake gas={string.Join(",", stakes)}");
        foreach (var g in gas) Assert.That(g, Is.LessThan(130_000UL));
        Assert.That(refund, Is.LessThan(130_000UL));
        foreach (var g in stakes) Assert.That(g, Is.LessThan(140_000UL));
    }
}
