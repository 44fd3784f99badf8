using System.Text;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Bridge;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Bridge;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.Storage;
using NUnit.Framework;

namespace IExecChain.State.Tests;

/// <summary>
/// The sidechain half of the bridge on a set of unequal powers where 2/3 falls exactly on a sum:
/// A holds 300, B, C and D 100 each (total 600, 2/3 = 400). A deposit is credited above 400.
/// </summary>
[TestFixture]
public sealed class BridgeLedgerTests
{
    private static readonly PrivateKey A = Key("a"), B = Key("b"), C = Key("c"), D = Key("d"), Outsider = Key("outsider");
    private static readonly Address Alice = Key("alice").Address, Bob = Key("bob").Address;
    private static readonly Address EthAlice = Key("eth-alice").Address, EthBob = Key("eth-bob").Address;
    private static readonly BridgeParameters Bridge = new() { EthChainId = 1337, Contract = Key("bridge").Address, MaxDepositsAhead = 16 };
    private const ulong Interval = 5;

    private static PrivateKey Key(string name) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/bridge/" + name)));

    private static WorldState State(params (PrivateKey Key, ulong Power)[] validators) => PoweredState.With(validators);

    private static WorldState UnequalSet() => State((A, 300), (B, 100), (C, 100), (D, 100));

    private static BridgeDeposit Deposit(ulong id, Address recipient, ulong amount) => new()
    {
        Id = id,
        Depositor = ByteString.CopyFrom(EthAlice.ToArray()),
        Recipient = ByteString.CopyFrom(recipient.ToArray()),
        Amount = amount,
        EthTxHash = ByteString.CopyFrom(Keccak256.HashToArray(BitConverter.GetBytes(id))),
        EthBlockNumber = 100 + id,
    };

    private static Reason? Attest(WorldState state, PrivateKey attester, params BridgeDeposit[] deposits)
    {
        var attest = new AttestDeposits();
        attest.Deposits.AddRange(deposits);
        return BridgeLedger.Attest(state, attester.Address, attest, Bridge, height: 9);
    }

    private static void Attested(WorldState state, PrivateKey attester, params BridgeDeposit[] deposits) =>
        Assert.That(Attest(state, attester, deposits), Is.Null, $"attestation by {attester.Address}");

    private static ulong BalanceOf(WorldState state, Address address) => state.GetAccount(address).Balance;

    [Test]
    public void A_deposit_is_credited_once_when_its_attesters_hold_more_than_two_thirds()
    {
        var state = UnequalSet();
        var deposit = Deposit(0, Alice, 50);
        Attested(state, A, deposit);
        Attested(state, B, deposit);
        Assert.That(BalanceOf(state, Alice), Is.Zero, "400 of 600 is exactly 2/3, not more");
        Assert.That(BridgeLedger.Totals(state).NextDepositId, Is.Zero);

        Attested(state, C, deposit);
        Assert.That(BalanceOf(state, Alice), Is.EqualTo(50), "500 of 600");
        var totals = BridgeLedger.Totals(state);
        Assert.That((totals.NextDepositId, totals.BridgedSupply, totals.DepositedTotal), Is.EqualTo((1UL, 50UL, 50UL)));
        var credited = state.GetRecord(StateKeys.Deposit(0), CreditedDeposit.Parser)!;
        Assert.That(credited.Deposit, Is.EqualTo(deposit));
        Assert.That(credited.Attesters.Select(a => new Address(a.Span)), Is.EqualTo(new[] { A.Address, B.Address, C.Address }));
        Assert.That(state.GetRecord(StateKeys.DepositAttestations(0), DepositAttestations.Parser), Is.Null, "the attestations are gone once credited");

        Attested(state, D, deposit);
        Attested(state, A, deposit);
        Assert.That(BalanceOf(state, Alice), Is.EqualTo(50), "late and repeated attestations credit nothing more");
        Assert.That(BridgeLedger.Totals(state).BridgedSupply, Is.EqualTo(50));
    }

    [Test]
    public void Deposits_are_credited_in_their_ethereum_order()
    {
        var state = UnequalSet();
        var first = Deposit(0, Alice, 5);
        var second = Deposit(1, Bob, 7);
        foreach (var v in new[] { A, B, C }) Attested(state, v, second);
        Assert.That(BalanceOf(state, Bob), Is.Zero, "deposit 1 waits for deposit 0");
        Attested(state, A, first);
        Attested(state, B, first);
        Attested(state, D, first);
        Assert.That((BalanceOf(state, Alice), BalanceOf(state, Bob)), Is.EqualTo((5UL, 7UL)), "crediting 0 lets 1 follow in the same transaction");
        Assert.That(BridgeLedger.Totals(state).NextDepositId, Is.EqualTo(2));
    }

    [Test]
    public void A_minority_that_lies_mints_nothing_and_cannot_change_its_statement()
    {
        var state = UnequalSet();
        var truth = Deposit(0, Alice, 5);
        var lie = Deposit(0, Bob, 5_000);
        Attested(state, D, lie);
        Assert.That(Attest(state, D, truth)?.Code, Is.EqualTo(ReasonCode.ReasonDepositAlreadyAttested), "one statement per validator and deposit");
        Attested(state, B, lie);
        Attested(state, A, truth);
        Assert.That(BalanceOf(state, Bob), Is.Zero, "200 of 600 for the lie");
        Attested(state, C, truth);
        Assert.That((BalanceOf(state, Alice), BalanceOf(state, Bob)), Is.EqualTo((0UL, 0UL)), "400 for the truth is not above 2/3 either");
        var pending = state.GetRecord(StateKeys.DepositAttestations(0), DepositAttestations.Parser)!;
        Assert.That(pending.Candidates.Select(c => c.Attesters.Count), Is.EqualTo(new[] { 2, 2 }));

        // An invented deposit beyond the real ones, attested by one validator, is never credited.
        Attested(state, D, Deposit(1, Bob, 1_000_000));
        Assert.That(BridgeLedger.Totals(state).BridgedSupply, Is.Zero);
    }

    [Test]
    public void Attestations_outside_the_rules_are_refused()
    {
        var state = UnequalSet();
        Assert.That(Attest(state, Outsider, Deposit(0, Alice, 5))?.Code, Is.EqualTo(ReasonCode.ReasonAttesterNotValidator));
        var attest = new AttestDeposits();
        attest.Deposits.Add(Deposit(0, Alice, 5));
        Assert.That(BridgeLedger.Attest(state, A.Address, attest, bridge: null, height: 9)?.Code, Is.EqualTo(ReasonCode.ReasonBridgeNotConfigured));
        var far = Attest(state, A, Deposit(Bridge.MaxDepositsAhead, Alice, 5));
        Assert.That(far?.Code, Is.EqualTo(ReasonCode.ReasonDepositTooFarAhead));
        Assert.That(far!.Numbers, Is.EqualTo(new[] { Bridge.MaxDepositsAhead, 0UL, Bridge.MaxDepositsAhead }));
        Attested(state, A, Deposit(Bridge.MaxDepositsAhead - 1, Alice, 5));

        var many = State(Enumerable.Range(0, BridgeLedger.MaxCandidatesPerDeposit + 1).Select(i => (Key("v" + i), 100UL)).ToArray());
        for (int i = 0; i < BridgeLedger.MaxCandidatesPerDeposit; i++) Assert.That(Attest(many, Key("v" + i), Deposit(0, Alice, 1 + (ulong)i)), Is.Null);
        Assert.That(Attest(many, Key("v" + BridgeLedger.MaxCandidatesPerDeposit), Deposit(0, Alice, 99))?.Code, Is.EqualTo(ReasonCode.ReasonDepositCandidatesFull));
    }

    private static Reason? Withdraw(WorldState state, Address sender, Address recipient, ulong amount, ulong height) =>
        BridgeLedger.Withdraw(state, sender, new Core.Wire.Withdraw { Recipient = ByteString.CopyFrom(recipient.ToArray()), Amount = amount }, height, Interval);

    private static WorldState WithBridgedSupply(ulong alice, ulong bob)
    {
        var state = UnequalSet();
        foreach (var v in new[] { A, B, C }) Attested(state, v, Deposit(0, Alice, alice), Deposit(1, Bob, bob));
        return state;
    }

    [Test]
    public void A_withdrawal_burns_bridged_rlc_and_joins_the_tree_of_its_checkpoint_period()
    {
        var state = WithBridgedSupply(alice: 100, bob: 40);
        state.GetAccount(Bob).Balance += 1_000;   // RLC that never crossed the bridge (a genesis allocation)
        state.MarkAccountDirty(Bob);

        Assert.That(Withdraw(state, Alice, EthAlice, 30, height: 6), Is.Null);   // period 2 (heights 6..10)
        Assert.That(Withdraw(state, Alice, EthBob, 20, height: 10), Is.Null);
        Assert.That(Withdraw(state, Bob, EthBob, 1, height: 11), Is.Null);      // period 3
        Assert.That((BalanceOf(state, Alice), BalanceOf(state, Bob)), Is.EqualTo((50UL, 1_039UL)));
        var totals = BridgeLedger.Totals(state);
        Assert.That((totals.BridgedSupply, totals.WithdrawnTotal, totals.NextWithdrawalId), Is.EqualTo((89UL, 51UL, 3UL)));
        Assert.That(totals.BridgedSupply, Is.EqualTo(totals.DepositedTotal - totals.WithdrawnTotal));

        var tooMuch = Withdraw(state, Bob, EthBob, 90, height: 11);
        Assert.That(tooMuch?.Code, Is.EqualTo(ReasonCode.ReasonWithdrawalExceedsBridgedSupply), "Bob holds 1,039 but only 89 are locked on Ethereum");
        Assert.That(tooMuch!.Numbers, Is.EqualTo(new[] { 89UL, 90UL }));
        Assert.That(Withdraw(state, Alice, EthAlice, 51, height: 11)?.Code, Is.EqualTo(ReasonCode.ReasonInsufficientBalance));

        var expected = MerkleRoot.Compute([new Withdrawal(0, EthAlice, 30).LeafHash(), new Withdrawal(1, EthBob, 20).LeafHash()]);
        Assert.That(BridgeLedger.ClosePeriod(state, 2), Is.EqualTo(expected));
        Assert.That(BridgeLedger.PeriodRoot(k => state.GetRecord(k, WithdrawalPeriod.Parser)?.ToByteArray(), 2), Is.EqualTo(expected), "the root is kept with the period");
        Assert.That(BridgeLedger.ClosePeriod(state, 3), Is.EqualTo(MerkleRoot.Compute([new Withdrawal(2, EthBob, 1).LeafHash()])));
        Assert.That(BridgeLedger.ClosePeriod(state, 1), Is.EqualTo(Hash256.Zero), "no withdrawal in the period");
        Assert.That(state.GetRecord(StateKeys.WithdrawalPeriod(1), WithdrawalPeriod.Parser), Is.Null, "and nothing written for it");
        var record = state.GetRecord(StateKeys.Withdrawal(1), WithdrawalRecord.Parser)!;
        Assert.That((new Address(record.Sender.Span), new Address(record.Recipient.Span), record.Amount, record.Height, record.Checkpoint),
            Is.EqualTo((Alice, EthBob, 20UL, 10UL, 2UL)));
    }

    [Test]
    public void Checkpoints_sign_the_root_of_their_period_withdrawals()
    {
        var chain = new TestChain(checkpointInterval: 4, adjustSpec: s => s with { Parameters = s.Parameters with { Bridge = Bridge } });
        var validator = TestChain.Validator;
        var user = TestChain.Account(1);
        var attest = new AttestDeposits();
        attest.Deposits.Add(Deposit(0, user.Address, 1_000));
        chain.Produce(chain.Transfer(TestChain.Account(0), validator.Address, 10_000, 0));   // height 1: fees for the validator
        var attested = chain.Produce(chain.Sign(validator, 0, b => b.AttestDeposits = attest, 1_000));   // height 2: the only validator holds all the power
        Assert.That(attested.Receipts.Single().Status, Is.EqualTo(ReceiptStatus.Success));
        Assert.That(chain.AccountOf(user.Address).Balance, Is.EqualTo(TestChain.InitialBalance + 1_000));
        Transaction Withdrawal(ulong nonce, Address to, ulong amount) =>
            chain.Sign(user, nonce, b => b.Withdraw = new Core.Wire.Withdraw { Recipient = ByteString.CopyFrom(to.ToArray()), Amount = amount }, 1_000);
        var executed = chain.Produce(Withdrawal(0, EthAlice, 300), Withdrawal(1, EthBob, 200));   // height 3
        Assert.That(executed.Receipts.Select(r => r.Status), Is.All.EqualTo(ReceiptStatus.Success));
        var ending = chain.Produce(Withdrawal(2, EthBob, 2_000));   // height 4 ends checkpoint 1
        Assert.That(ending.Receipts.Single().Failure.Code, Is.EqualTo(ReasonCode.ReasonWithdrawalExceedsBridgedSupply));
        var root = MerkleRoot.Compute([new Withdrawal(0, EthAlice, 300).LeafHash(), new Withdrawal(1, EthBob, 200).LeafHash()]);
        Assert.That(ending.WithdrawalsRoot, Is.EqualTo(root), "what the validators sign with their precommit");
        Assert.That(chain.Processor.CheckpointOf(ending)!.WithdrawalsRoot, Is.EqualTo(root));
        chain.Produce();                                // height 5 records checkpoint 1

        var record = CheckpointRecord.Parser.ParseFrom(chain.Tree.Get(StateKeys.Checkpoint(1))!);
        Assert.That(new Hash256(record.WithdrawalsRoot.Span), Is.EqualTo(root));
        var signed = Checkpoints.CheckpointLedger.ToSigned(TestChain.ChainId, record);
        Assert.That(Secp256k1.TryRecoverAddress(signed.Checkpoint.Digest(), record.Signatures[0].Signature.Span, out var signer), Is.True);
        Assert.That(signer, Is.EqualTo(validator.Address), "the checkpoint signature covers the withdrawals root");
        Assert.That(BridgeLedger.Totals(new WorldState(chain.Tree)).BridgedSupply, Is.EqualTo(500));
    }
}
