using System.Text;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.Validators;
using IExecChain.Storage;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.State.Tests;

/// <summary>
/// The set and its powers move only at epoch boundaries: reputation, stake, removal and the
/// minimum stake all take effect in the set of the first height of the next epoch (k·E + 1), computed
/// at the end of block k·E, and not one block earlier; that height starts a checkpoint range, so each
/// checkpoint is signed by the set the one before it names.
/// </summary>
[TestFixture]
public sealed class EpochBoundaryTests
{
    // The minimum stake is above one power unit, so a stake under it still has power: only the minimum drops it.
    private const ulong EpochLength = 10, PowerUnit = 1000, MinStake = 2000, GenesisStake = 5_500;
    private static readonly PrivateKey A = Key("a"), B = Key("b"), C = Key("c"), D = Key("d");
    private static readonly ConsensusParameters Parameters = new() { PowerUnit = PowerUnit };

    private static PrivateKey Key(string name) => new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/epoch/" + name)));

    private static WorldState Genesis()
    {
        var spec = TestChain.BuildSpec(accounts: 1, unbondingPeriod: 3);
        spec = spec with
        {
            Parameters = spec.Parameters with { Consensus = Parameters, MinValidatorStake = MinStake, EpochLength = EpochLength },
            Validators = new[] { A, B, C, D }.Select(k => new GenesisValidator(k.Address, k.PublicKey, GenesisStake)).ToList(),
        };
        var state = new WorldState(new StateTree(new MemoryStore()));
        ValidatorLedger.WriteGenesis(state, spec);
        foreach (var key in new[] { A, B, C, D }) SetStake(state, key, GenesisStake);
        return state;
    }

    private static void SetStake(WorldState state, PrivateKey key, ulong stake)
    {
        state.GetStake(key.Address).ValidatorStake = stake;
        state.MarkStakeDirty(key.Address);
    }

    /// <summary>End of block <paramref name="height"/> as the block processor runs it: reputation from the carried commit, then the next set.</summary>
    private static ValidatorSet FinishBlock(WorldState state, ulong height, params PrivateKey[] signers)
    {
        var signedBy = ValidatorLedger.CurrentSet(state);
        ValidatorLedger.ApplyLastCommit(state, signedBy, signers.Select(k => k.Address).ToHashSet(), Parameters);
        return ValidatorLedger.AdvanceHeight(state, height, EpochLength, MinStake, Parameters);
    }

    private static Dictionary<Address, ulong> Powers(ValidatorSet set) =>
        set.Validators.ToDictionary(v => new Address(v.Address.Span), v => v.VotingPower);

    [Test]
    public void Reputation_stake_removal_and_the_minimum_stake_change_the_set_only_at_the_epoch_boundary()
    {
        var state = Genesis();
        ulong genesisPower = GenesisStake / PowerUnit * Parameters.ReputationInitial;
        var genesis = Powers(ValidatorLedger.CurrentSet(state));
        Assert.That(genesis.Values, Is.All.EqualTo(genesisPower));

        for (ulong height = 1; height < EpochLength; height++)
        {
            if (height == 3)
            {
                ValidatorLedger.Remove(state, B.Address);
                SetStake(state, C, MinStake - 1);   // under the minimum (slashed, or the minimum was raised)
                SetStake(state, A, MinStake);       // exactly the minimum: stays
            }
            // D is offline: every commit lacks it.
            var next = FinishBlock(state, height, A, B, C);
            Assert.That(Powers(next), Is.EqualTo(genesis), $"the set of height {height + 1} is still the genesis set");
        }
        Assert.That(ValidatorLedger.Info(state, D.Address)!.Reputation, Is.EqualTo(Parameters.ReputationInitial - (EpochLength - 1) * Parameters.ReputationLossPerBlockMissed),
            "D's reputation fell during the epoch while its power stayed");

        // The end of block E, the epoch's last: the set of height E + 1 counts E blocks of reputation.
        var boundary = Powers(FinishBlock(state, EpochLength, A, B, C));
        ulong reputationA = Parameters.ReputationInitial + EpochLength * Parameters.ReputationGainPerBlockSigned;
        ulong reputationD = Parameters.ReputationInitial - EpochLength * Parameters.ReputationLossPerBlockMissed;
        Assert.That(boundary, Is.EqualTo(new Dictionary<Address, ulong>
        {
            [A.Address] = MinStake / PowerUnit * reputationA,
            [D.Address] = GenesisStake / PowerUnit * reputationD,   // floor(5,500 / 1,000) = 5
        }), "at the boundary: B removed, C under the minimum, A and D with power = floor(stake / unit) × reputation");
    }

    [Test]
    public void When_two_thirds_of_the_power_leave_at_an_epoch_boundary_each_checkpoint_still_verifies_from_the_one_before()
    {
        var (chain, stays, leave) = CommitteeChain.TwoThirdsOfThePowerLeaveAtTheFirstEpochBoundary();
        var checkpoints = new List<SignedCheckpoint> { chain.Checkpoint(1), chain.Checkpoint(2), chain.Checkpoint(3) };
        Assert.That(checkpoints[0].NextValidatorSet.Select(v => v.Address), Is.EquivalentTo(leave.Select(k => k.Address).Append(stays.Address)));
        Assert.That(checkpoints[2].NextValidatorSet.Select(v => v.Address), Is.EqualTo(new[] { stays.Address }), "the set lost 2/3 of its power");

        // What a joining node's light client checks, and the anchor contract the same way: each
        // checkpoint holds signatures of more than 2/3 of the set the one before it names.
        var trusted = new TrustedCheckpoint(1, checkpoints[0].Checkpoint.Digest());
        Assert.That(CheckpointChain.Verify(CommitteeChain.ChainId, trusted, checkpoints).Number, Is.EqualTo(3));

        // Because every height of a checkpoint range is validated by that set.
        for (int n = 1; n < checkpoints.Count; n++)
            for (ulong h = checkpoints[n].Checkpoint.FirstHeight; h <= checkpoints[n].Checkpoint.LastHeight; h++)
                Assert.That(CommitteeChain.Powers(chain.ValidatedBy(h)), Is.EqualTo(checkpoints[n - 1].NextValidatorSet),
                    $"block {h} of checkpoint {n + 1} is validated by the set checkpoint {n} names");
    }

    [Test]
    public void A_set_that_would_be_empty_is_kept()
    {
        var state = Genesis();
        foreach (var key in new[] { A, B, C, D }) SetStake(state, key, 0);
        ValidatorSet next = new();
        for (ulong height = 1; height <= EpochLength; height++) next = FinishBlock(state, height, A, B, C, D);
        Assert.That(next.Validators.Select(v => new Address(v.Address.Span)), Is.EquivalentTo(new[] { A.Address, B.Address, C.Address, D.Address }));
    }
}
