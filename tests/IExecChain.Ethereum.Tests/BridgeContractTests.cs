using Google.Protobuf;
using System.Numerics;
using IExecChain.Core.Blocks;
using IExecChain.Core.Bridge;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Abi;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.Bridge;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Ethereum.Tests.Support;
using NUnit.Framework;

namespace IExecChain.Ethereum.Tests;

/// <summary>Contracts/Bridge.sol and Contracts/TestRlc.sol on a real ganache, beside Anchor.sol.</summary>
[TestFixture]
public sealed class BridgeContractTests
{
    private const ulong SideChainId = 77;
    private const ulong Rlc = 1_000_000_000;
    private const ulong FreezeAfter = 5;
    private Ganache _ganache = null!;
    private static PrivateKey Owner => Ganache.Accounts[0];
    private static PrivateKey Alice => Ganache.Accounts[1];
    private static PrivateKey Bob => Ganache.Accounts[2];

    [OneTimeSetUp]
    public async Task StartGanache() => _ganache = await Ganache.StartAsync();

    [OneTimeTearDown]
    public void StopGanache() => _ganache?.Dispose();

    private sealed record Deployment(TestChain Chain, AnchorContract Anchor, Address Token, BridgeContract Bridge);

    /// <summary>A fresh token, anchor and bridge; Alice and Bob hold 1,000 test RLC each.</summary>
    private async Task<Deployment> DeployAsync()
    {
        var chain = new TestChain(SideChainId, TestValidators.Set(4));
        var (anchor, _) = await _ganache.DeployAsync(Owner,
            AnchorContract.DeploymentData(AnchorArtifact.Bytecode, SideChainId, 1, 1, TestValidators.Powers(chain.Validators)));
        var (token, _) = await _ganache.DeployAsync(Owner, BridgeArtifacts.TestRlc.Bytecode);
        var (bridge, _) = await _ganache.DeployAsync(Owner, BridgeContract.DeploymentData(BridgeArtifacts.Bridge.Bytecode, token, anchor, SideChainId, FreezeAfter));
        foreach (var holder in new[] { Alice, Bob })
            Assert.That((await _ganache.SendAsync(Owner, token, BridgeContract.MintCallData(holder.Address, 1_000 * Rlc))).Succeeded, Is.True);
        return new Deployment(chain, new AnchorContract(_ganache.Rpc, anchor), token, new BridgeContract(_ganache.Rpc, bridge));
    }

    private async Task<TransactionReceipt> SendAsync(PrivateKey from, Address to, byte[] data) => await _ganache.SendAsync(from, to, data, gas: 1_000_000);

    /// <summary>The bridge error <paramref name="data"/> reverts with, checked both by eth_call and as a mined transaction.</summary>
    private async Task<string> RevertOf(PrivateKey from, Address to, byte[] data)
    {
        var e = await Assert.ThrowsAsync<EthereumRpcException>(() => _ganache.Rpc.CallAsync(to, data, from.Address));
        Assert.That(e!.RevertData, Is.Not.Null, $"no revert data in: {e.Message}");
        Assert.That((await SendAsync(from, to, data)).Succeeded, Is.False, "the same call data sent as a transaction must revert too");
        return BridgeContract.DescribeRevert(e.RevertData);
    }

    private async Task<BigInteger> BalanceAsync(Deployment d, Address owner) => await BridgeContract.BalanceOfAsync(_ganache.Rpc, d.Token, owner);

    private async Task DepositAsync(Deployment d, PrivateKey from, ulong amount, Address recipient)
    {
        Assert.That((await SendAsync(from, d.Token, BridgeContract.ApproveCallData(d.Bridge.Address, amount))).Succeeded, Is.True);
        Assert.That((await SendAsync(from, d.Bridge.Address, BridgeContract.DepositCallData(amount, recipient))).Succeeded, Is.True);
    }

    [Test]
    public async Task The_scanner_sees_a_deposit_only_at_the_confirmation_depth_and_reads_each_block_once()
    {
        var d = await DeployAsync();
        var side = new Address(Keccak256.HashToArray([3]).AsSpan(12));
        ulong start = await _ganache.Rpc.BlockNumberAsync();
        // Windows of one block: every block is its own eth_getLogs, and none is read twice.
        var scanner = new DepositScanner(d.Bridge, _ganache.Rpc, confirmations: 3, startBlock: start) { MaxBlocksPerQuery = 1 };
        var conflicts = new List<ulong>();
        await DepositAsync(d, Alice, 5 * Rlc, side);           // approve, then deposit: the deposit is in block start + 2
        ulong depositBlock = await _ganache.Rpc.BlockNumberAsync();
        await scanner.AdvanceAsync((a, _) => conflicts.Add(a.Id));
        Assert.That(scanner.Range(0, 10), Is.Empty, "1 confirmation of 3");
        await _ganache.MineAsync();
        await scanner.AdvanceAsync((a, _) => conflicts.Add(a.Id));
        Assert.That(scanner.Range(0, 10), Is.Empty, "2 confirmations of 3");
        await _ganache.MineAsync();
        await scanner.AdvanceAsync((a, _) => conflicts.Add(a.Id));
        var seen = scanner.Range(0, 10).ToList();
        Assert.That(seen.Select(x => (x.Id, x.Amount, x.Recipient, x.BlockNumber)), Is.EqualTo(new[] { (0UL, 5 * Rlc, side, depositBlock) }), "3 confirmations: seen");
        Assert.That(scanner.NextBlock, Is.EqualTo(depositBlock + 1));

        await DepositAsync(d, Bob, 6 * Rlc, side);
        for (int i = 0; i < 3; i++) await _ganache.MineAsync();
        await scanner.AdvanceAsync((a, _) => conflicts.Add(a.Id));
        Assert.That(scanner.Range(0, 10).Select(x => x.Id), Is.EqualTo(new[] { 0UL, 1UL }));
        Assert.That(scanner.Range(1, 2).Select(x => x.Id), Is.EqualTo(new[] { 1UL }), "the range's upper bound is exclusive");
        scanner.ForgetBelow(1);
        Assert.That(scanner.Count, Is.EqualTo(1));
        // Reading the same blocks again (a rewind) finds the same contents: no conflict.
        scanner.Rewind(start);
        await scanner.AdvanceAsync((a, _) => conflicts.Add(a.Id));
        Assert.That(conflicts, Is.Empty);
        Assert.That(scanner.Range(0, 10).Select(x => x.Id), Is.EqualTo(new[] { 0UL, 1UL }));
    }

    [Test]
    public async Task Deposits_are_numbered_in_order_and_logged_for_the_validators()
    {
        var d = await DeployAsync();
        var sideAlice = new Address(Keccak256.HashToArray([1]).AsSpan(12));
        var sideBob = new Address(Keccak256.HashToArray([2]).AsSpan(12));
        await DepositAsync(d, Alice, 50 * Rlc, sideAlice);
        var oneStep = await SendAsync(Bob, d.Token, BridgeContract.ApproveAndCallData(d.Bridge.Address, 7 * Rlc + 3, sideBob));
        Assert.That(oneStep.Succeeded, Is.True, "approveAndCall deposits in one transaction");
        // approveAndCall with no extra data: the recipient is the depositor's own address.
        var toSelf = BridgeContract.ApproveAndCallFunction.EncodeCall(d.Bridge.Address, new BigInteger(Rlc), Array.Empty<byte>());
        Assert.That((await SendAsync(Alice, d.Token, toSelf)).Succeeded, Is.True);

        var deposits = await d.Bridge.DepositsAsync(0, await _ganache.Rpc.BlockNumberAsync());
        Assert.That(deposits.Select(e => (e.Id, e.Depositor, e.Recipient, e.Amount)), Is.EqualTo(new[]
        {
            (0UL, Alice.Address, sideAlice, 50 * Rlc),
            (1UL, Bob.Address, sideBob, 7 * Rlc + 3),
            (2UL, Alice.Address, Alice.Address, Rlc),
        }));
        Assert.That(deposits[1].TransactionHash, Is.EqualTo(oneStep.TransactionHash));
        Assert.That(deposits[1].BlockNumber, Is.EqualTo(oneStep.BlockNumber));
        Assert.That(await d.Bridge.DepositCountAsync(), Is.EqualTo(3));
        Assert.That(await d.Bridge.LockedAsync(), Is.EqualTo(new BigInteger(58 * Rlc + 3)));
        Assert.That(await BalanceAsync(d, d.Bridge.Address), Is.EqualTo(new BigInteger(58 * Rlc + 3)), "locked equals what the bridge holds");
        Assert.That(await BalanceAsync(d, Alice.Address), Is.EqualTo(new BigInteger(949 * Rlc)));
    }

    [Test]
    public async Task Deposits_that_cannot_be_credited_are_refused()
    {
        var d = await DeployAsync();
        var bridge = d.Bridge.Address;
        Assert.That((await SendAsync(Alice, d.Token, BridgeContract.ApproveCallData(bridge, 100 * Rlc))).Succeeded, Is.True);
        Assert.That(await RevertOf(Alice, bridge, BridgeContract.DepositCallData(0, Alice.Address)), Is.EqualTo("ZeroAmount()"));
        Assert.That(await RevertOf(Alice, bridge, BridgeContract.DepositCallData(Rlc, Address.Zero)), Is.EqualTo("ZeroRecipient()"));
        Assert.That(await RevertOf(Alice, bridge, BridgeContract.DepositFunction.EncodeCall(new BigInteger(ulong.MaxValue) + 1, Alice.Address)),
            Is.EqualTo($"AmountTooLarge({new BigInteger(ulong.MaxValue) + 1})"), "sidechain amounts are 64-bit");
        Assert.That(await RevertOf(Bob, bridge, BridgeContract.DepositCallData(Rlc, Bob.Address)), Does.StartWith("InsufficientAllowance("));
        var direct = new AbiFunction("receiveApproval", ["address", "uint256", "address", "bytes"]).EncodeCall(Alice.Address, new BigInteger(Rlc), d.Token, Array.Empty<byte>());
        Assert.That(await RevertOf(Alice, bridge, direct), Is.EqualTo($"NotToken({Alice.Address})"), "only the token may report an approval");
        var badRecipient = BridgeContract.ApproveAndCallFunction.EncodeCall(bridge, new BigInteger(Rlc), new byte[19]);
        Assert.That(await RevertOf(Alice, d.Token, badRecipient), Is.EqualTo("MalformedRecipient(19)"));
        Assert.That(await d.Bridge.DepositCountAsync(), Is.EqualTo(0), "nothing was deposited");
        Assert.That(await d.Bridge.LockedAsync(), Is.EqualTo(BigInteger.Zero));
    }

    /// <summary>A period of withdrawals as the sidechain records them, in a checkpoint anchored on the contract.</summary>
    private Task<(SignedCheckpoint Checkpoint, List<Withdrawal> Withdrawals)> AnchoredPeriodAsync(Deployment d, ulong firstId, params (Address To, ulong Amount)[] items) =>
        AnchoredPeriodAsync(d, firstId, null, items);

    private async Task<(SignedCheckpoint Checkpoint, List<Withdrawal> Withdrawals)> AnchoredPeriodAsync(Deployment d, ulong firstId, Hash256? stateRoot, params (Address To, ulong Amount)[] items)
    {
        var withdrawals = items.Select((w, i) => new Withdrawal(firstId + (ulong)i, w.To, w.Amount)).ToList();
        var root = MerkleRoot.Compute(withdrawals.Select(w => w.LeafHash()).ToList());
        var current = TestValidators.Powers(d.Chain.Validators);
        var signed = d.Chain.Add(withdrawalsRoot: root, stateRoot: stateRoot);
        var receipt = await _ganache.SendAsync(Owner, d.Anchor.Address, AnchorContract.AnchorCallData(signed.Checkpoint, QuorumSelector.Select(signed, current), null), gas: 3_000_000);
        Assert.That(receipt.Succeeded, Is.True, "anchoring reverted");
        return (signed, withdrawals);
    }

    /// <summary>A sidechain state tree (the real one) holding these accounts and 200 others, so proofs have depth.</summary>
    private static State.Merkle.StateTree StateWith(params (Address Account, AccountRecord Record)[] accounts)
    {
        var store = new Storage.MemoryStore();
        var tree = new State.Merkle.StateTree(store);
        var changes = accounts.Select(a => new KeyValuePair<Hash256, byte[]?>(State.Execution.StateKeys.Account(a.Account), a.Record.ToByteArray()))
            .Concat(Enumerable.Range(0, 200).Select(i => new KeyValuePair<Hash256, byte[]?>(
                State.Execution.StateKeys.Account(new Address(Keccak256.HashToArray([9, (byte)i]).AsSpan(12))), new AccountRecord { Balance = (ulong)i + 1 }.ToByteArray())))
            .ToList();
        var update = tree.Prepare(changes);
        using var batch = store.NewBatch();
        tree.Commit(update, batch);
        store.Write(batch);
        return tree;
    }

    private static byte[] Exit(SignedCheckpoint signed, State.Merkle.StateTree tree, Address account)
    {
        var proof = tree.GetProof(State.Execution.StateKeys.Account(account));
        return BridgeContract.ExitCallData(signed.Checkpoint, account, proof.Value!, proof.Siblings);
    }

    private async Task MineAsync(int blocks)
    {
        for (int i = 0; i < blocks; i++) await _ganache.MineAsync();
    }

    [Test]
    public async Task A_bridge_whose_anchoring_stalls_freezes_and_pays_each_account_its_proven_balance_once()
    {
        var d = await DeployAsync();
        await DepositAsync(d, Alice, 100 * Rlc, Alice.Address);
        var carol = new PrivateKey(Keccak256.HashToArray([5])).Address;
        var dave = new PrivateKey(Keccak256.HashToArray([6])).Address;
        var tree = StateWith((carol, new AccountRecord { Balance = 30 * Rlc, Frozen = 2 * Rlc, Nonce = 7 }), (dave, new AccountRecord { Balance = 5 * Rlc }));
        var earlier = (await AnchoredPeriodAsync(d, 0, tree.Root, (Bob.Address, Rlc))).Checkpoint;
        var (last, period) = await AnchoredPeriodAsync(d, 1, tree.Root, (carol, 4 * Rlc));

        Assert.That(await RevertOf(Bob, d.Bridge.Address, Exit(last, tree, carol)), Is.EqualTo("NotFrozen()"), "no exit while the bridge is live");
        // One look records the newest anchored checkpoint; the bridge freezes once it stayed the newest for FreezeAfter blocks.
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.CheckFreezeCallData())).Succeeded, Is.True);
        Assert.That((await d.Bridge.ObservedAsync()).Checkpoint, Is.EqualTo(last.Checkpoint.Number));
        await MineAsync((int)FreezeAfter - 2);
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.CheckFreezeCallData())).Succeeded, Is.True);
        Assert.That(await d.Bridge.FrozenAtAsync(), Is.EqualTo(0UL), "one block short");
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.CheckFreezeCallData())).Succeeded, Is.True);
        Assert.That(await d.Bridge.FrozenAtAsync(), Is.EqualTo(last.Checkpoint.Number));

        // Frozen: no deposits, no claims against later checkpoints, claims up to the frozen one still paid.
        var later = (await AnchoredPeriodAsync(d, 2, tree.Root, (dave, Rlc))).Checkpoint;
        Assert.That(await RevertOf(Alice, d.Bridge.Address, BridgeContract.DepositCallData(Rlc, Alice.Address)), Is.EqualTo($"BridgeFrozen({last.Checkpoint.Number})"));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, BridgeContract.ClaimCallData(later.Checkpoint, new Withdrawal(2, dave, Rlc), 0, 1, [])),
            Is.EqualTo($"BridgeFrozen({last.Checkpoint.Number})"));
        Assert.That((await SendAsync(Bob, d.Bridge.Address, Claim(last, period, 0))).Succeeded, Is.True, "a withdrawal of the frozen checkpoint is still paid");

        // The exit pays balance + escrow from the frozen checkpoint's state, once.
        var receipt = await SendAsync(Bob, d.Bridge.Address, Exit(last, tree, carol));
        Assert.That(receipt.Succeeded, Is.True);
        Assert.That(await BalanceAsync(d, carol), Is.EqualTo(new BigInteger(4 * Rlc + 32 * Rlc)));
        Assert.That(await d.Bridge.ExitedAsync(carol), Is.True);
        Assert.That(await d.Bridge.LockedAsync(), Is.EqualTo(new BigInteger(100 * Rlc - 4 * Rlc - 32 * Rlc)));
        TestContext.Out.WriteLine($"exit gas: {receipt.GasUsed} (proof depth {tree.GetProof(State.Execution.StateKeys.Account(carol)).Siblings.Count})");
        Assert.That(await RevertOf(Bob, d.Bridge.Address, Exit(last, tree, carol)), Is.EqualTo($"AlreadyExited({carol})"));

        // Forged exits.
        var daveProof = tree.GetProof(State.Execution.StateKeys.Account(dave));
        var inflated = new AccountRecord { Balance = 500 * Rlc }.ToByteArray();
        Assert.That(await RevertOf(Bob, d.Bridge.Address, BridgeContract.ExitCallData(last.Checkpoint, dave, inflated, daveProof.Siblings)), Is.EqualTo($"InvalidStateProof({dave})"));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, BridgeContract.ExitCallData(last.Checkpoint, Alice.Address, daveProof.Value!, daveProof.Siblings)),
            Is.EqualTo($"InvalidStateProof({Alice.Address})"), "another account's proof");
        Assert.That(await RevertOf(Bob, d.Bridge.Address, BridgeContract.ExitCallData(last.Checkpoint, dave, daveProof.Value!, daveProof.Siblings.Skip(1).ToList())),
            Is.EqualTo($"InvalidStateProof({dave})"), "a shortened path");
        Assert.That(await RevertOf(Bob, d.Bridge.Address, Exit(earlier, tree, dave)), Is.EqualTo($"WrongCheckpoint({last.Checkpoint.Number}, {earlier.Checkpoint.Number})"));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, Exit(later, tree, dave)), Is.EqualTo($"WrongCheckpoint({last.Checkpoint.Number}, {later.Checkpoint.Number})"));
        Assert.That((await SendAsync(Bob, d.Bridge.Address, Exit(last, tree, dave))).Succeeded, Is.True);
        Assert.That(await BalanceAsync(d, dave), Is.EqualTo(new BigInteger(5 * Rlc)));
    }

    /// <summary>A sidechain state tree holding <paramref name="entries"/> and the accounts of <paramref name="others"/>.</summary>
    private static State.Merkle.StateTree StateOf(IEnumerable<KeyValuePair<Hash256, byte[]?>> entries, IEnumerable<Address> others)
    {
        var store = new Storage.MemoryStore();
        var tree = new State.Merkle.StateTree(store);
        var update = tree.Prepare(entries.Concat(others.Select((a, i) => new KeyValuePair<Hash256, byte[]?>(
            State.Execution.StateKeys.Account(a), new AccountRecord { Balance = (ulong)i + 1 }.ToByteArray()))).ToList());
        using var batch = store.NewBatch();
        tree.Commit(update, batch);
        store.Write(batch);
        return tree;
    }

    private static IEnumerable<Address> Accounts(int count, int seed = 9) =>
        Enumerable.Range(0, count).Select(i => new Address(Keccak256.HashToArray([(byte)seed, (byte)i, (byte)(i >> 8)]).AsSpan(12)));

    private static KeyValuePair<Hash256, byte[]?> Totals(ulong nextDepositId, ulong bridgedSupply) =>
        new(State.Execution.StateKeys.BridgeTotals, new BridgeTotals { NextDepositId = nextDepositId, BridgedSupply = bridgedSupply, DepositedTotal = bridgedSupply }.ToByteArray());

    /// <summary>refund(deposit) with the state tree's own proof of BridgeTotals (its value, or its absence).</summary>
    private static byte[] Refund(SignedCheckpoint signed, State.Merkle.StateTree tree, BridgeDepositEvent deposit)
    {
        var proof = tree.GetProof(State.Execution.StateKeys.BridgeTotals);
        return BridgeContract.RefundCallData(signed.Checkpoint, deposit, proof.Value, proof.OtherLeafKey, proof.OtherLeafValueHash, proof.Siblings);
    }

    /// <summary>One look at the anchor, FreezeAfter blocks, and another: frozen at the newest anchored checkpoint.</summary>
    private async Task FreezeAsync(Deployment d, ulong expected)
    {
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.CheckFreezeCallData())).Succeeded, Is.True);
        await MineAsync((int)FreezeAfter - 1);
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.CheckFreezeCallData())).Succeeded, Is.True);
        Assert.That(await d.Bridge.FrozenAtAsync(), Is.EqualTo(expected));
    }

    [Test]
    public async Task A_frozen_bridge_returns_each_deposit_its_last_anchored_state_had_not_credited_to_its_depositor_once()
    {
        var d = await DeployAsync();
        var carol = new PrivateKey(Keccak256.HashToArray([5])).Address;
        await DepositAsync(d, Alice, 100 * Rlc, Alice.Address);   // 0: credited in the anchored state
        await DepositAsync(d, Alice, 7 * Rlc, carol);             // 1 and 2: not yet
        await DepositAsync(d, Bob, 9 * Rlc, carol);
        var deposits = await d.Bridge.DepositsAsync(0, await _ganache.Rpc.BlockNumberAsync());
        Assert.That(deposits.Select(e => e.Id), Is.EqualTo(new[] { 0UL, 1UL, 2UL }));
        Assert.That(await d.Bridge.DepositHashAsync(1), Is.EqualTo(BridgeContract.DepositHash(Alice.Address, carol, 7 * Rlc)));
        var tree = StateOf([Totals(nextDepositId: 1, bridgedSupply: 100 * Rlc)], Accounts(200));
        var (last, _) = await AnchoredPeriodAsync(d, 0, tree.Root);

        Assert.That(await RevertOf(Bob, d.Bridge.Address, Refund(last, tree, deposits[1])), Is.EqualTo("NotFrozen()"), "no refund while the bridge is live");
        await FreezeAsync(d, last.Checkpoint.Number);

        Assert.That(await RevertOf(Bob, d.Bridge.Address, Refund(last, tree, deposits[0])), Is.EqualTo("DepositCredited(0, 1)"), "its recipient exits with it");
        Assert.That(await RevertOf(Bob, d.Bridge.Address, Refund(last, tree, deposits[1] with { Amount = 70 * Rlc })), Is.EqualTo("UnknownDeposit(1)"));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, Refund(last, tree, deposits[1] with { Depositor = Bob.Address })), Is.EqualTo("UnknownDeposit(1)"));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, Refund(last, tree, deposits[1] with { Id = 3 })), Is.EqualTo("UnknownDeposit(3)"));
        // Forged totals: a smaller next_deposit_id than the state's, or the record's absence, do not fold to the state root.
        var proof = tree.GetProof(State.Execution.StateKeys.BridgeTotals);
        var understated = new BridgeTotals { NextDepositId = 0, BridgedSupply = 100 * Rlc, DepositedTotal = 100 * Rlc }.ToByteArray();
        Assert.That(await RevertOf(Bob, d.Bridge.Address, BridgeContract.RefundCallData(last.Checkpoint, deposits[0], understated, null, null, proof.Siblings)),
            Is.EqualTo("InvalidTotalsProof()"));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, BridgeContract.RefundCallData(last.Checkpoint, deposits[0], null, null, null, proof.Siblings)),
            Is.EqualTo("InvalidTotalsProof()"), "an empty slot where the record is");
        var someLeaf = tree.GetProof(State.Execution.StateKeys.Account(Accounts(1).Single()));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, BridgeContract.RefundCallData(last.Checkpoint, deposits[0], null,
                State.Execution.StateKeys.Account(Accounts(1).Single()), Keccak256.Hash(someLeaf.Value!), proof.Siblings)),
            Is.EqualTo("InvalidTotalsProof()"), "another key's leaf where the record is");

        var before = await BalanceAsync(d, Alice.Address);
        var receipt = await SendAsync(Bob, d.Bridge.Address, Refund(last, tree, deposits[1]));
        Assert.That(receipt.Succeeded, Is.True);
        TestContext.Out.WriteLine($"refund gas: {receipt.GasUsed} (proof depth {proof.Siblings.Count})");
        Assert.That(await BalanceAsync(d, Alice.Address), Is.EqualTo(before + 7 * Rlc), "to the depositor, whoever sends it");
        Assert.That(await BalanceAsync(d, carol), Is.EqualTo(BigInteger.Zero));
        Assert.That(await d.Bridge.DepositHashAsync(1), Is.EqualTo(BridgeContract.Refunded));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, Refund(last, tree, deposits[1])), Is.EqualTo("AlreadyRefunded(1)"));
        before = await BalanceAsync(d, Bob.Address);
        Assert.That((await SendAsync(Alice, d.Bridge.Address, Refund(last, tree, deposits[2]))).Succeeded, Is.True);
        Assert.That(await BalanceAsync(d, Bob.Address), Is.EqualTo(before + 9 * Rlc));
        Assert.That(await d.Bridge.LockedAsync(), Is.EqualTo(new BigInteger(100 * Rlc)), "what the anchored state credited stays for exits");
    }

    [Test]
    public async Task A_frozen_bridge_pays_each_account_its_proven_stakes_and_unbonding_once()
    {
        var d = await DeployAsync();
        await DepositAsync(d, Alice, 100 * Rlc, Alice.Address);
        var carol = new PrivateKey(Keccak256.HashToArray([5])).Address;
        var stake = new StakeRecord { ValidatorStake = 10 * Rlc, WorkerStake = 3 * Rlc };
        stake.Unbonding.Add(new Unbonding { Role = StakeRole.Worker, Amount = 2 * Rlc, ReleaseHeight = 900 });
        stake.Unbonding.Add(new Unbonding { Role = StakeRole.Validator, Amount = 1 * Rlc, ReleaseHeight = 1_000_000 });
        var stakeKey = State.Execution.StateKeys.Stake(carol);
        var tree = StateOf([new(stakeKey, stake.ToByteArray()),
            new(State.Execution.StateKeys.Account(carol), new AccountRecord { Balance = 4 * Rlc }.ToByteArray())], Accounts(200));
        var (last, _) = await AnchoredPeriodAsync(d, 0, tree.Root);
        byte[] ExitStake(Address account, byte[]? record = null, IReadOnlyList<Hash256>? siblings = null)
        {
            var proof = tree.GetProof(State.Execution.StateKeys.Stake(account));
            return BridgeContract.ExitStakeCallData(last.Checkpoint, account, record ?? proof.Value!, siblings ?? proof.Siblings);
        }

        Assert.That(await RevertOf(Bob, d.Bridge.Address, ExitStake(carol)), Is.EqualTo("NotFrozen()"));
        await FreezeAsync(d, last.Checkpoint.Number);

        var inflated = new StakeRecord { ValidatorStake = 90 * Rlc, WorkerStake = 3 * Rlc, Unbonding = { stake.Unbonding } }.ToByteArray();
        Assert.That(await RevertOf(Bob, d.Bridge.Address, ExitStake(carol, inflated)), Is.EqualTo($"InvalidStateProof({carol})"));
        var account = tree.GetProof(State.Execution.StateKeys.Account(carol));
        Assert.That(await RevertOf(Bob, d.Bridge.Address, ExitStake(carol, account.Value, account.Siblings)), Is.EqualTo($"InvalidStateProof({carol})"),
            "the account record is no stake record (another key)");
        var receipt = await SendAsync(Bob, d.Bridge.Address, ExitStake(carol));
        Assert.That(receipt.Succeeded, Is.True);
        TestContext.Out.WriteLine($"exitStake gas: {receipt.GasUsed} (proof depth {tree.GetProof(stakeKey).Siblings.Count})");
        Assert.That(await BalanceAsync(d, carol), Is.EqualTo(new BigInteger(16 * Rlc)), "validator + worker stake + both unbonding entries");
        Assert.That(await d.Bridge.StakeExitedAsync(carol), Is.True);
        Assert.That(await d.Bridge.ExitedAsync(carol), Is.False, "its balance is a separate exit");
        Assert.That(await RevertOf(Bob, d.Bridge.Address, ExitStake(carol)), Is.EqualTo($"AlreadyExited({carol})"));
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.ExitCallData(last.Checkpoint, carol, account.Value!, account.Siblings))).Succeeded, Is.True);
        Assert.That(await BalanceAsync(d, carol), Is.EqualTo(new BigInteger(20 * Rlc)));
        Assert.That(await d.Bridge.LockedAsync(), Is.EqualTo(new BigInteger(80 * Rlc)));
    }

    /// <summary>
    /// A state that never credited a deposit has no BridgeTotals record: the refund is proven by its
    /// absence, the key's path ending in another key's leaf (one account) or in an empty slot (two
    /// accounts on the other side of the root).
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public async Task A_deposit_of_a_bridge_that_froze_before_any_credit_is_refunded_on_a_proof_of_absence(bool emptySlot)
    {
        var d = await DeployAsync();
        await DepositAsync(d, Alice, 5 * Rlc, Alice.Address);
        var deposit = (await d.Bridge.DepositsAsync(0, await _ganache.Rpc.BlockNumberAsync())).Single();
        bool totalsRight = State.Execution.StateKeys.BridgeTotals.Bit(0) == 1;
        var others = emptySlot
            ? Enumerable.Range(0, 1000).Select(i => Accounts(1, seed: i).Single()).Where(a => (State.Execution.StateKeys.Account(a).Bit(0) == 1) != totalsRight).Take(2).ToList()
            : Accounts(1).ToList();
        var tree = StateOf([], others);
        var proof = tree.GetProof(State.Execution.StateKeys.BridgeTotals);
        Assert.That(proof.Value, Is.Null);
        Assert.That(proof.OtherLeafKey.HasValue, Is.EqualTo(!emptySlot), "the kind of absence this case is about");
        var (last, _) = await AnchoredPeriodAsync(d, 0, tree.Root);
        await FreezeAsync(d, last.Checkpoint.Number);

        var before = await BalanceAsync(d, Alice.Address);
        Assert.That((await SendAsync(Bob, d.Bridge.Address, Refund(last, tree, deposit))).Succeeded, Is.True);
        Assert.That(await BalanceAsync(d, Alice.Address), Is.EqualTo(before + 5 * Rlc));
        Assert.That(await d.Bridge.LockedAsync(), Is.EqualTo(BigInteger.Zero));
    }

    [Test]
    public async Task Anchoring_that_goes_on_keeps_the_bridge_live()
    {
        var d = await DeployAsync();
        var first = (await AnchoredPeriodAsync(d, 0, (Bob.Address, Rlc))).Checkpoint;
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.CheckFreezeCallData())).Succeeded, Is.True);
        await MineAsync((int)FreezeAfter - 2);
        await AnchoredPeriodAsync(d, 1, (Bob.Address, Rlc));   // a new checkpoint inside the window
        await MineAsync(3);
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.CheckFreezeCallData())).Succeeded, Is.True);
        Assert.That(await d.Bridge.FrozenAtAsync(), Is.EqualTo(0UL), "the anchor moved: the count starts again");
        Assert.That((await d.Bridge.ObservedAsync()).Checkpoint, Is.EqualTo(first.Checkpoint.Number + 1));
        await MineAsync((int)FreezeAfter);
        Assert.That((await SendAsync(Bob, d.Bridge.Address, BridgeContract.CheckFreezeCallData())).Succeeded, Is.True);
        Assert.That(await d.Bridge.FrozenAtAsync(), Is.EqualTo(first.Checkpoint.Number + 1));
    }

    private static byte[] Claim(SignedCheckpoint signed, List<Withdrawal> period, int index) =>
        BridgeContract.ClaimCallData(signed.Checkpoint, period[index], (ulong)index, (ulong)period.Count,
            MerkleRoot.Prove(period.Select(w => w.LeafHash()).ToList(), index));

    [Test]
    public async Task Withdrawals_of_an_anchored_checkpoint_are_released_once_each()
    {
        var d = await DeployAsync();
        await DepositAsync(d, Alice, 100 * Rlc, Alice.Address);
        var carol = new PrivateKey(Keccak256.HashToArray([3])).Address;
        var dave = new PrivateKey(Keccak256.HashToArray([4])).Address;
        var (signed, period) = await AnchoredPeriodAsync(d, 10, (carol, 5 * Rlc), (dave, 7 * Rlc), (carol, 1), (dave, 11 * Rlc), (Bob.Address, 2 * Rlc));

        for (int i = 0; i < period.Count; i++)
        {
            // Anyone may send a claim; the RLC goes to the recipient the withdrawal names.
            var receipt = await SendAsync(Bob, d.Bridge.Address, Claim(signed, period, i));
            Assert.That(receipt.Succeeded, Is.True, $"claim {i} reverted");
            Assert.That(await d.Bridge.IsClaimedAsync(period[i].Id), Is.True);
        }
        Assert.That(await BalanceAsync(d, carol), Is.EqualTo(new BigInteger(5 * Rlc + 1)));
        Assert.That(await BalanceAsync(d, dave), Is.EqualTo(new BigInteger(18 * Rlc)));
        Assert.That(await d.Bridge.LockedAsync(), Is.EqualTo(new BigInteger(100 * Rlc - 25 * Rlc - 1)));
        Assert.That(await BalanceAsync(d, d.Bridge.Address), Is.EqualTo(await d.Bridge.LockedAsync()));
        Assert.That(await d.Bridge.IsClaimedAsync(9), Is.False);
        Assert.That(await d.Bridge.IsClaimedAsync(15), Is.False);

        Assert.That(await RevertOf(Alice, d.Bridge.Address, Claim(signed, period, 1)), Is.EqualTo("AlreadyClaimed(11)"));
        Assert.That(await BalanceAsync(d, dave), Is.EqualTo(new BigInteger(18 * Rlc)), "a second claim pays nothing");
    }

    [Test]
    public async Task Forged_and_unanchored_claims_are_refused()
    {
        var d = await DeployAsync();
        await DepositAsync(d, Alice, 100 * Rlc, Alice.Address);
        var (signed, period) = await AnchoredPeriodAsync(d, 0, (Alice.Address, 5 * Rlc), (Bob.Address, 7 * Rlc), (Alice.Address, 3 * Rlc));
        var leaves = period.Select(w => w.LeafHash()).ToList();
        var bridge = d.Bridge.Address;
        var cp = signed.Checkpoint;

        async Task<string> Refusal(byte[] data) => await RevertOf(Bob, bridge, data);

        Assert.That(await Refusal(BridgeContract.ClaimCallData(cp, period[1] with { Amount = 70 * Rlc }, 1, 3, MerkleRoot.Prove(leaves, 1))), Is.EqualTo("InvalidProof(1)"), "a changed amount");
        Assert.That(await Refusal(BridgeContract.ClaimCallData(cp, period[1] with { Recipient = Alice.Address }, 1, 3, MerkleRoot.Prove(leaves, 1))), Is.EqualTo("InvalidProof(1)"), "another recipient");
        Assert.That(await Refusal(BridgeContract.ClaimCallData(cp, period[1], 0, 3, MerkleRoot.Prove(leaves, 0))), Is.EqualTo("InvalidProof(1)"), "another leaf's path");
        Assert.That(await Refusal(BridgeContract.ClaimCallData(cp, period[1], 1, 3, [.. MerkleRoot.Prove(leaves, 1), Hash256.Zero])), Is.EqualTo("InvalidProof(1)"), "an extra sibling");
        Assert.That(await Refusal(BridgeContract.ClaimCallData(cp, period[2], 3, 3, MerkleRoot.Prove(leaves, 2))), Is.EqualTo("InvalidProof(2)"), "index beyond the period");
        // A leaf hash is 60 bytes of preimage, an inner node 65: the node above leaves 0 and 1 is no withdrawal.
        Assert.That(await Refusal(BridgeContract.ClaimCallData(cp, new Withdrawal(99, Bob.Address, Rlc), 0, 2, [leaves[2]])), Is.EqualTo("InvalidProof(99)"));

        var other = cp with { WithdrawalsRoot = Keccak256.Hash([9]) };
        Assert.That(await Refusal(BridgeContract.ClaimCallData(other, period[0], 0, 3, MerkleRoot.Prove(leaves, 0))), Is.EqualTo($"CheckpointNotAnchored({cp.Number})"),
            "a checkpoint whose fields differ from the anchored digest");
        var next = d.Chain.Add(withdrawalsRoot: MerkleRoot.Compute([new Withdrawal(3, Bob.Address, Rlc).LeafHash()]));
        Assert.That(await Refusal(BridgeContract.ClaimCallData(next.Checkpoint, new Withdrawal(3, Bob.Address, Rlc), 0, 1, [])), Is.EqualTo($"CheckpointNotAnchored({next.Checkpoint.Number})"),
            "signed by the validators but not anchored");
        Assert.That(await Refusal(BridgeContract.ClaimCallData(cp with { ChainId = 78 }, period[0], 0, 3, MerkleRoot.Prove(leaves, 0))), Is.EqualTo($"WrongChain({SideChainId}, 78)"));

        Assert.That(await d.Bridge.LockedAsync(), Is.EqualTo(new BigInteger(100 * Rlc)), "nothing was released");
        Assert.That((await SendAsync(Bob, bridge, Claim(signed, period, 1))).Succeeded, Is.True, "the genuine claim still works");
        Assert.That(await BalanceAsync(d, Bob.Address), Is.EqualTo(new BigInteger(1_007 * Rlc)));
    }
}
