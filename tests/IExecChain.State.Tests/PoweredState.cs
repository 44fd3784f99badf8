using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.State.Tests;

/// <summary>A fresh state in memory whose current validator set holds exactly these powers.</summary>
internal static class PoweredState
{
    public static WorldState With(params (PrivateKey Key, ulong Power)[] validators)
    {
        var state = new WorldState(new StateTree(new MemoryStore()));
        var set = new ValidatorSet();
        foreach (var (key, power) in validators.OrderBy(v => v.Key.Address))
            set.Validators.Add(new Validator { Address = ByteString.CopyFrom(key.Address.ToArray()), PublicKey = ByteString.CopyFrom(key.PublicKey), VotingPower = power });
        state.SetRecord(StateKeys.ValidatorSet, set);
        return state;
    }
}
