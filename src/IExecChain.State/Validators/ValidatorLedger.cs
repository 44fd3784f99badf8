using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;

namespace IExecChain.State.Validators;

/// <summary>
/// The validator set as state: who is admitted, their reputation, the set of the next height with
/// its proposer priorities, and the end-of-block rules that move them (reputation from the last
/// commit, priorities every block, membership and power at epoch boundaries). Voting power =
/// floor(stake / power unit) × reputation, fixed for a whole epoch. Epoch k + 1 is heights
/// k·E + 1 to (k + 1)·E, like checkpoint ranges (heights 1 to E keep the genesis set).
/// </summary>
public static class ValidatorLedger
{
    public static ulong VotingPower(ulong stake, ulong reputation, ConsensusParameters parameters) =>
        checked(stake / parameters.PowerUnit * reputation);

    /// <summary>Writes the genesis validators: admitted, initial reputation, power from their stake.</summary>
    public static ValidatorSet WriteGenesis(WorldState state, ChainSpec spec)
    {
        var set = new ValidatorSet();
        var admitted = new AddressList();
        foreach (var v in spec.Validators.OrderBy(v => v.Address))
        {
            state.SetRecord(StateKeys.ValidatorInfo(v.Address), new ValidatorInfo
            {
                PublicKey = ByteString.CopyFrom(v.PublicKey),
                Admitted = true,
                Reputation = spec.Parameters.Consensus.ReputationInitial,
            });
            admitted.Addresses.Add(ByteString.CopyFrom(v.Address.ToArray()));
            ulong power = VotingPower(v.Stake, spec.Parameters.Consensus.ReputationInitial, spec.Parameters.Consensus);
            if (power == 0) throw new ChainSpecException($"$.validators: validator {v.Address} has no voting power (stake below powerUnit {spec.Parameters.Consensus.PowerUnit})");
            set.Validators.Add(new Validator { Address = ByteString.CopyFrom(v.Address.ToArray()), PublicKey = ByteString.CopyFrom(v.PublicKey), VotingPower = power });
        }
        state.SetRecord(StateKeys.AdmittedValidators, admitted);
        state.SetRecord(StateKeys.ValidatorSet, set);
        state.SetRecord(StateKeys.LastValidatorSet, set);
        return set;
    }

    /// <summary>keccak256 over address ‖ public key ‖ voting power of each validator, in address order (priorities excluded).</summary>
    public static Hash256 SetHash(ValidatorSet set)
    {
        var keccak = new Keccak256.Incremental();
        Span<byte> power = stackalloc byte[8];
        foreach (var v in set.Validators)
        {
            keccak.Append(v.Address.Span);
            keccak.Append(v.PublicKey.Span);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(power, v.VotingPower);
            keccak.Append(power);
        }
        return keccak.Finish();
    }

    public static ValidatorSet CurrentSet(WorldState state) =>
        state.GetRecord(StateKeys.ValidatorSet, ValidatorSet.Parser) ?? throw new InvalidDataException("validator set missing from state");

    public static ValidatorInfo? Info(WorldState state, Address address) =>
        state.GetRecord(StateKeys.ValidatorInfo(address), ValidatorInfo.Parser);

    public static ulong PowerIn(ValidatorSet set, Address address)
    {
        foreach (var v in set.Validators)
            if (v.Address.Span.SequenceEqual(address.ToArray())) return v.VotingPower;
        return 0;
    }

    public static ulong TotalPower(ValidatorSet set)
    {
        ulong total = 0;
        foreach (var v in set.Validators) total = checked(total + v.VotingPower);
        return total;
    }

    /// <summary>
    /// Reputation from the commit carried by block <paramref name="height"/>: every validator of the
    /// set that signed it gains, every one missing loses (bounded by the chain spec's min and max).
    /// </summary>
    public static void ApplyLastCommit(WorldState state, ValidatorSet signedBy, IReadOnlySet<Address> signers, ConsensusParameters p)
    {
        foreach (var v in signedBy.Validators)
        {
            var address = new Address(v.Address.Span);
            var info = Info(state, address);
            // A jailed validator neither earns nor loses: its reputation stays zero until released.
            if (info is null || info.JailedUntil != 0) continue;
            if (signers.Contains(address))
            {
                info.BlocksSigned++;
                info.Reputation = Math.Min(p.ReputationMax, info.Reputation + p.ReputationGainPerBlockSigned);
            }
            else
            {
                info.BlocksMissed++;
                // A jailed validator's zero stays zero; others never fall below the floor from absence alone.
                if (info.Reputation > 0)
                    info.Reputation = Math.Max(p.ReputationMin, info.Reputation - Math.Min(info.Reputation, p.ReputationLossPerBlockMissed));
            }
            state.SetRecord(StateKeys.ValidatorInfo(address), info);
        }
    }

    /// <summary>
    /// End of block <paramref name="height"/>: the set that validated it becomes the last set, and the
    /// set of the next height is stored with priorities advanced one step. At the end of an epoch's
    /// last block (a multiple of the epoch length) the next set is rebuilt from the admitted
    /// validators that are not jailed and stake the minimum. Returns the next set.
    /// </summary>
    public static ValidatorSet AdvanceHeight(WorldState state, ulong height, ulong epochLength, ulong minStake, ConsensusParameters p)
    {
        var current = CurrentSet(state);
        state.SetRecord(StateKeys.LastValidatorSet, current);
        ulong next = height + 1;
        // A new set takes effect at k·E + 1, the first height of a checkpoint range (E is a multiple of
        // the checkpoint interval, ChainSpecLoader), so every block of a range is validated by one set:
        // the one the previous checkpoint names, which is the set the anchor contract and light clients
        // check this range's checkpoint signatures against. Taking effect at k·E, the range's last
        // height, the new set would sign a checkpoint that the old set must approve.
        var nextSet = height % epochLength == 0 ? Rebuild(state, current, next, minStake, p) : current.Clone();

        var weighted = new WeightedValidator[nextSet.Validators.Count];
        for (int i = 0; i < weighted.Length; i++)
        {
            var v = nextSet.Validators[i];
            weighted[i] = new WeightedValidator(new Address(v.Address.Span), v.VotingPower, v.ProposerPriority);
        }
        ProposerRotation.Advance(weighted, 1);
        for (int i = 0; i < weighted.Length; i++) nextSet.Validators[i].ProposerPriority = weighted[i].Priority;
        state.SetRecord(StateKeys.ValidatorSet, nextSet);
        return nextSet;
    }

    private static ValidatorSet Rebuild(WorldState state, ValidatorSet current, ulong nextHeight, ulong minStake, ConsensusParameters p)
    {
        var admitted = state.GetRecord(StateKeys.AdmittedValidators, AddressList.Parser) ?? new AddressList();
        var members = new List<Validator>();
        foreach (var raw in admitted.Addresses)
        {
            var address = new Address(raw.Span);
            var info = Info(state, address);
            if (info is null || !info.Admitted) continue;
            if (info.JailedUntil > nextHeight) continue;
            if (info.JailedUntil != 0)
            {
                // Jail served: back with the floor reputation, to earn trust again.
                info.JailedUntil = 0;
                info.Reputation = Math.Max(info.Reputation, p.ReputationMin);
                state.SetRecord(StateKeys.ValidatorInfo(address), info);
            }
            ulong stake = state.GetStake(address).ValidatorStake;
            if (stake < minStake) continue;
            ulong power = VotingPower(stake, info.Reputation, p);
            if (power == 0) continue;
            members.Add(new Validator { Address = raw, PublicKey = info.PublicKey, VotingPower = power });
        }
        ulong total = 0;
        foreach (var m in members) total = checked(total + m.VotingPower);
        // A chain cannot go on without validators: an empty or oversized result keeps the current set.
        if (members.Count == 0 || total > ProposerRotation.MaxTotalPower) return current.Clone();

        var previous = new Dictionary<ByteString, long>();
        foreach (var v in current.Validators) previous[v.Address] = v.ProposerPriority;
        long newcomer = ProposerRotation.NewcomerPriority(total);
        var next = new ValidatorSet();
        foreach (var m in members)
        {
            m.ProposerPriority = previous.TryGetValue(m.Address, out long priority) ? priority : newcomer;
            next.Validators.Add(m);
        }
        return next;
    }

    public static void Admit(WorldState state, Address address, ByteString publicKey, ConsensusParameters p)
    {
        var info = Info(state, address) ?? new ValidatorInfo { PublicKey = publicKey, Reputation = p.ReputationInitial };
        info.Admitted = true;
        info.PublicKey = publicKey;
        state.SetRecord(StateKeys.ValidatorInfo(address), info);
        var admitted = state.GetRecord(StateKeys.AdmittedValidators, AddressList.Parser) ?? new AddressList();
        var raw = ByteString.CopyFrom(address.ToArray());
        if (!admitted.Addresses.Contains(raw))
        {
            var sorted = admitted.Addresses.Append(raw).OrderBy(a => new Address(a.Span)).ToList();
            admitted.Addresses.Clear();
            admitted.Addresses.AddRange(sorted);
        }
        state.SetRecord(StateKeys.AdmittedValidators, admitted);
    }

    public static void Remove(WorldState state, Address address)
    {
        var info = Info(state, address);
        if (info is not null)
        {
            info.Admitted = false;
            state.SetRecord(StateKeys.ValidatorInfo(address), info);
        }
        var admitted = state.GetRecord(StateKeys.AdmittedValidators, AddressList.Parser) ?? new AddressList();
        admitted.Addresses.Remove(ByteString.CopyFrom(address.ToArray()));
        state.SetRecord(StateKeys.AdmittedValidators, admitted);
    }

    public static bool IsAdmitted(WorldState state, Address address) => Info(state, address)?.Admitted == true;
}
