using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;

namespace IExecChain.State.Execution;

/// <summary>Committed records as readers outside block execution see them (absent = empty record).</summary>
public static class StateReader
{
    public static AccountRecord Account(StateTree tree, Address address) =>
        tree.Get(StateKeys.Account(address)) is { } bytes ? AccountRecord.Parser.ParseFrom(bytes) : new AccountRecord();

    public static StakeRecord Stake(StateTree tree, Address address) =>
        tree.Get(StateKeys.Stake(address)) is { } bytes ? StakeRecord.Parser.ParseFrom(bytes) : new StakeRecord();
}
