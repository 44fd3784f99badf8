using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Tests.Market;
using Kind = IExecChain.Core.Wire.TransactionBody.PayloadOneofCase;

namespace IExecChain.State.Tests.Fixture;

/// <summary>
/// The fixture's ledger, staking, governance and validator-set phases (<see cref="Run"/>, before the
/// market), and its closing phases (<see cref="Close"/>, after it): equivocation, anchoring, settling.
/// Alice and Bob are accounts outside the market cast; the newcomer becomes a second validator with
/// about a sixth of the power, so its proposals can be rejected or left to expire while the genesis
/// validator's pass on their own, and the one-validator commits <see cref="TestChain"/> signs stay valid.
/// </summary>
internal static class LedgerScript
{
    private static readonly PrivateKey Validator = TestChain.Validator, Alice = ConsensusFixture.Alice, Bob = ConsensusFixture.Bob, Newcomer = ConsensusFixture.Newcomer;
    private static readonly PrivateKey Funder = MarketChain.Key(MarketChain.AppOwner);

    /// <summary>Proposals in the order the script makes them (ids are assigned from 1).</summary>
    private const ulong FeeChange = 1, RemoveLastValidator = 2, AdmitNewcomer = 3, MinorityProposal = 4, ExpiringProposal = 5;

    public static void Run(ConsensusFixture f)
    {
        Transfers(f);
        Staking(f);
        Governance(f);
        NewcomerJoins(f);
        NewcomerProposes(f);
    }

    public static void Close(ConsensusFixture f)
    {
        BridgeFlows(f);
        Equivocation(f);
        Anchoring(f);
        Settle(f);
    }

    private static ulong Balance(ConsensusFixture f, PrivateKey key) => f.Chain.AccountOf(key.Address).Balance;

    private static ProposalStatus? StatusOf(ConsensusFixture f, ulong proposal) => StateReader.Proposal(f.Chain.Tree, proposal)?.Status;

    private static void Transfers(ConsensusFixture f)
    {
        f.Phase = "ledger: transfers";
        var executed = f.Produce(f.Transfer(Funder, Validator.Address, 10_000_000), f.Transfer(Funder, Alice.Address, 2_000_000, ahead: 1));
        f.ExpectReceipts(executed, "SS", "funding the validator (for governance fees) and Alice");

        ulong before = Balance(f, Alice), fee = f.Fee(Kind.Transfer);
        executed = f.Produce(
            f.Transfer(Alice, Bob.Address, 300_000),
            f.Transfer(Alice, Bob.Address, 50_000_000, ahead: 1),   // more than she has
            f.Transfer(Bob, Bob.Address, 1_000));                   // to oneself
        f.ExpectReceipts(executed, "SFS", "a transfer, one beyond the balance, one to oneself");
        f.Expect(Balance(f, Alice) == before - 300_000 - 2 * fee, "the failed transfer to cost Alice its fee only");
        f.Reach(Milestone.FailedTransfer);
    }

    private static void Staking(ConsensusFixture f)
    {
        f.Phase = "ledger: staking and unbonding";
        var executed = f.Produce(f.Stake(Alice, StakeRole.Worker, 1_000), f.Stake(Bob, StakeRole.Worker, 5));
        f.ExpectReceipts(executed, "SF", "a stake and one below the minimum worker stake");
        executed = f.Produce(
            f.Unstake(Alice, StakeRole.Worker, 400),
            f.Unstake(Alice, StakeRole.Worker, 5_000, ahead: 1),   // more than staked
            f.Unstake(Alice, StakeRole.Worker, 595, ahead: 2));    // would leave 5, below the minimum
        f.ExpectReceipts(executed, "SFF", "a partial unstake and two refused ones");
        ulong firstRelease = executed.Block.Height + ConsensusFixture.UnbondingPeriod;
        executed = f.Produce(f.Unstake(Alice, StakeRole.Worker, 600));
        f.ExpectReceipts(executed, "S", "unstaking the rest");

        ulong balance = Balance(f, Alice);
        f.ProduceUntil(firstRelease - 1);
        f.Expect(Balance(f, Alice) == balance, "nothing released before the unbonding period ends");
        f.Produce();
        f.Expect(Balance(f, Alice) == balance + 400, "the first unbonding released at its height");
        f.Produce();
        f.Expect(Balance(f, Alice) == balance + 1_000 && f.Chain.StakeOf(Alice.Address).Unbonding.Count == 0, "the second one a block later");
        f.Reach(Milestone.UnbondingReleased);
    }

    private static Transaction Propose(ConsensusFixture f, PrivateKey from, Action<GovernancePropose> action, int ahead = 0)
    {
        var proposal = new GovernancePropose { DescriptionHash = ByteString.CopyFrom(Keccak256.HashToArray("fixture proposal"u8)) };
        action(proposal);
        return f.Sign(from, b => b.Propose = proposal, Kind.Propose, ahead);
    }

    private static Transaction Vote(ConsensusFixture f, PrivateKey from, ulong proposal, bool approve, int ahead = 0) =>
        f.Sign(from, b => b.Vote = new GovernanceVote { ProposalId = proposal, Approve = approve }, Kind.Vote, ahead);

    private static void Governance(ConsensusFixture f)
    {
        f.Phase = "governance: the sole validator changes the transfer fee";
        var executed = f.Produce(Propose(f, Validator, p => p.ChangeParameter = new ChangeParameter { Name = "fees.transfer", Value = 50 }));
        f.ExpectReceipts(executed, "S", "the fee proposal");
        f.Expect(StatusOf(f, FeeChange) == ProposalStatus.Passed && f.Fee(Kind.Transfer) == 50, "the sole validator's proposal to pass at once and apply from the next block");
        f.Reach(Milestone.ParameterChangePassed);

        f.Phase = "governance: refused and failed proposals";
        executed = f.Produce(
            f.Transfer(Alice, Bob.Address, 1_000),   // pays the new fee of 50: below the old one it would not be includable
            Propose(f, Validator, p => p.RemoveValidator = new RemoveValidator { Address = ConsensusFixture.Bytes(Validator.Address) }),
            Propose(f, Alice, p => p.ChangeParameter = new ChangeParameter { Name = "fees.transfer", Value = 1 }, ahead: 1),
            Vote(f, Validator, FeeChange, approve: true, ahead: 1));
        f.ExpectReceipts(executed, "SSFF", "a cheap transfer, a proposal that cannot apply, a non-validator's proposal, a vote on a closed proposal");
        f.Expect(StatusOf(f, RemoveLastValidator) == ProposalStatus.Failed, "removing the last admitted validator to pass the vote and fail to apply");
        f.Reach(Milestone.ProposalFailedToApply);
    }

    private static void NewcomerJoins(ConsensusFixture f)
    {
        f.Phase = "validators: a newcomer is admitted, stakes and joins at the epoch boundary";
        var executed = f.Produce(
            Propose(f, Validator, p => p.AdmitValidator = new AdmitValidator { PublicKey = ByteString.CopyFrom(Newcomer.PublicKey) }),
            f.Transfer(Funder, Newcomer.Address, 1_000_000));
        f.ExpectReceipts(executed, "SS", "admitting and funding the newcomer");
        f.Expect(StatusOf(f, AdmitNewcomer) == ProposalStatus.Passed, "the admission to pass");
        f.ExpectReceipts(f.Produce(f.Stake(Newcomer, StakeRole.Validator, 1_000)), "S", "the newcomer's validator stake");
        f.ProduceWhileNot(() => f.Chain.Processor.FindValidator(Newcomer.Address) is not null, (int)ConsensusFixture.EpochLength, "the newcomer in the set at the next epoch");
        f.Reach(Milestone.ValidatorJoinedTheSet);
    }

    private static void NewcomerProposes(ConsensusFixture f)
    {
        f.Phase = "governance: a minority proposal is rejected, another is left to expire";
        var executed = f.Produce(
            Propose(f, Newcomer, p => p.ChangeParameter = new ChangeParameter { Name = "fees.stake", Value = 1 }),
            Propose(f, Newcomer, p => p.ChangeParameter = new ChangeParameter { Name = "fees.unstake", Value = 1 }, ahead: 1));
        f.ExpectReceipts(executed, "SS", "the newcomer's two proposals");
        f.Expect(StatusOf(f, MinorityProposal) == ProposalStatus.Open && StatusOf(f, ExpiringProposal) == ProposalStatus.Open,
            "the newcomer's own yes (about a sixth of the power) not to pass them");
        executed = f.Produce(Vote(f, Validator, MinorityProposal, approve: false), Vote(f, Newcomer, MinorityProposal, approve: true));
        f.ExpectReceipts(executed, "SF", "the validator's no, then a vote on the closed proposal");
        f.Expect(StatusOf(f, MinorityProposal) == ProposalStatus.Rejected, "more than 1/3 voting no to reject it");
        f.Reach(Milestone.ProposalRejected);
        // Proposal 5 expires VotingPeriod blocks later, during the market phases; Settle checks it did.
    }

    private static readonly Address EthAlice = new(Enumerable.Repeat((byte)0xE1, Address.Size).ToArray());

    private static Transaction Attest(ConsensusFixture f, PrivateKey attester, int ahead, params BridgeDeposit[] deposits) => f.Sign(attester, b =>
    {
        b.AttestDeposits = new AttestDeposits();
        b.AttestDeposits.Deposits.AddRange(deposits);
    }, Kind.AttestDeposits, ahead);

    private static BridgeDeposit Deposit(ulong id, Address recipient, ulong amount) => new()
    {
        Id = id,
        Depositor = ByteString.CopyFrom(EthAlice.ToArray()),
        Recipient = ConsensusFixture.Bytes(recipient),
        Amount = amount,
        EthTxHash = ByteString.CopyFrom(Enumerable.Repeat((byte)(0xD0 + id), Hash256.Size).ToArray()),
        EthBlockNumber = 500 + id,
    };

    private static Transaction Withdraw(ConsensusFixture f, PrivateKey key, Address to, ulong amount, int ahead = 0) =>
        f.Sign(key, b => b.Withdraw = new Core.Wire.Withdraw { Recipient = ConsensusFixture.Bytes(to), Amount = amount }, Kind.Withdraw, ahead);

    /// <summary>
    /// The newcomer (about a sixth of the power) attests a deposit that never happened, the genesis
    /// validator attests the real ones: only those are credited. Then a withdrawal within the bridged
    /// supply and one beyond it.
    /// </summary>
    private static void BridgeFlows(ConsensusFixture f)
    {
        f.Phase = "bridge: deposits attested by the validators, withdrawals";
        f.Expect(f.Chain.Processor.FindValidator(Newcomer.Address) is not null, "the newcomer in the set");
        ulong alice = Balance(f, Alice), bob = Balance(f, Bob);
        var lie = Deposit(0, Bob.Address, 9_000_000);
        var executed = f.Produce(Attest(f, Newcomer, 0, lie), Attest(f, Alice, 0, Deposit(0, Alice.Address, 5_000)));
        f.ExpectReceipts(executed, "SF", "the newcomer's invented deposit, an attestation by a non-validator");
        f.Expect(Balance(f, Bob) == bob && Balance(f, Alice) == alice - f.Fee(Kind.AttestDeposits), "nothing credited on the newcomer's word");

        executed = f.Produce(Attest(f, Validator, 0, Deposit(0, Alice.Address, 5_000), Deposit(1, Bob.Address, 700)));
        f.ExpectReceipts(executed, "S", "the genesis validator attests the real deposits");
        f.Expect(Balance(f, Alice) == alice - f.Fee(Kind.AttestDeposits) + 5_000 && Balance(f, Bob) == bob + 700, "both real deposits credited");
        f.Reach(Milestone.DepositCredited);

        executed = f.Produce(Withdraw(f, Alice, EthAlice, 2_000), Withdraw(f, Bob, EthAlice, 4_000), Attest(f, Newcomer, 0, Deposit(0, Alice.Address, 5_000)));
        f.ExpectReceipts(executed, "SFS", "a withdrawal, one beyond the bridged supply of 3,700, a late attestation");
    }

    private static void WithdrawalCheckpointed(ConsensusFixture f)
    {
        ulong number = f.Chain.Tree.Get(StateKeys.Withdrawal(0)) is { } withdrawal ? WithdrawalRecord.Parser.ParseFrom(withdrawal).Checkpoint : 0;
        var record = f.Chain.Tree.Get(StateKeys.Checkpoint(number)) is { } bytes ? CheckpointRecord.Parser.ParseFrom(bytes) : null;
        f.Expect(record is not null, $"checkpoint {number} (the withdrawal's) recorded");
        var root = MerkleRoot.Compute([new Core.Bridge.Withdrawal(0, EthAlice, 2_000).LeafHash()]);
        f.Expect(new Hash256(record!.WithdrawalsRoot.Span) == root, "the checkpoint's withdrawals root holds the withdrawal");
        f.Reach(Milestone.WithdrawalCheckpointed, record.RecordedAtHeight);
    }

    private static Vote Precommit(PrivateKey key, ulong height, Hash256 hash) => new()
    {
        Type = VoteType.Precommit,
        Height = height,
        BlockHash = hash.IsZero ? ByteString.Empty : ByteString.CopyFrom(hash.ToArray()),
        Validator = ConsensusFixture.Bytes(key.Address),
        Signature = ByteString.CopyFrom(key.Sign(VoteDigest.Compute(TestChain.ChainId, VoteType.Precommit, height, 0, hash))),
    };

    private static void Equivocation(ConsensusFixture f)
    {
        f.Phase = "validators: the newcomer double-signs, is slashed, jailed and leaves the set";
        ulong at = f.Head - 1;
        var evidence = new DuplicateVoteEvidence
        {
            VoteA = Precommit(Newcomer, at, f.Chain.Processor.Blocks.GetBlock(at)!.Hash),
            VoteB = Precommit(Newcomer, at, Hash256.Zero),
        };
        var executed = f.ProduceWithEvidence(evidence);
        f.Expect(executed.Block.Evidence.Count == 1, "the evidence in the block");
        var info = StateReader.ValidatorInfo(f.Chain.Tree, Newcomer.Address)!;
        f.Expect(info.JailedUntil > f.Head && info.Reputation == 0 && f.Chain.StakeOf(Newcomer.Address).ValidatorStake == 950,
            "the newcomer jailed, its reputation zeroed and 5% of its stake burned");
        f.ProduceWhileNot(() => f.Chain.Processor.FindValidator(Newcomer.Address) is null, (int)ConsensusFixture.EpochLength, "the jailed newcomer out of the set at the next epoch");
        f.Reach(Milestone.EquivocationPunished);
    }

    private static Transaction Anchor(ConsensusFixture f, ulong checkpoint, byte txHashByte, int ahead) => f.Sign(Bob, b => b.AnchorReceipt = new AnchorReceipt
    {
        CheckpointNumber = checkpoint,
        EthChainId = 1337,
        AnchorContract = ByteString.CopyFrom(Enumerable.Repeat((byte)0xAC, Address.Size).ToArray()),
        EthTxHash = ByteString.CopyFrom(Enumerable.Repeat(txHashByte, Hash256.Size).ToArray()),
        EthBlockNumber = 4242,
    }, Kind.AnchorReceipt, ahead);

    private static void Anchoring(ConsensusFixture f)
    {
        f.Phase = "checkpoints: a relayer reports anchoring transactions";
        f.Expect(StateReader.Totals(f.Chain.Tree).LatestCheckpoint >= 1, "checkpoint 1 recorded by now");
        var executed = f.Produce(Anchor(f, 1, 0x01, 0), Anchor(f, 1, 0x01, 1), Anchor(f, 999, 0x02, 2));
        f.ExpectReceipts(executed, "SFF", "an anchor receipt, the same again, one for an unknown checkpoint");
        f.Reach(Milestone.AnchorRecorded);
    }

    /// <summary>Empty blocks until every task is settled, every window closed, then until a checkpoint is recorded.</summary>
    private static void Settle(ConsensusFixture f)
    {
        f.Phase = "settling: windows close, unbondings mature, a last checkpoint";
        var expiring = StateReader.Proposal(f.Chain.Tree, ExpiringProposal);
        f.Expect(expiring?.Status == ProposalStatus.Expired, "the newcomer's unvoted proposal expired at its deadline");
        f.Reach(Milestone.ProposalExpired, expiring!.DeadlineHeight);
        f.ProduceWhileNot(() => MarketScript.AllSettled(f) && f.Chain.StakeOf(f.Leaver!.Address).Unbonding.Count == 0, 60,
            "every task settled, every window closed and the leaver's unbonding released");
        f.Reach(Milestone.WorkerLeftThePoolAndUnbonded);
        f.ProduceWhileNot(() => f.Head % ConsensusFixture.CheckpointInterval == 1, (int)ConsensusFixture.CheckpointInterval, "a last checkpoint recorded");
        WithdrawalCheckpointed(f);
    }
}
