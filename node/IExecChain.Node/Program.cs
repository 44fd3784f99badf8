using System.CommandLine;
using IExecChain.Node.Cli;
using IExecChain.Node.Devnet;

namespace IExecChain.Node;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("iexchain: node, CLI and tools of iExecChain, the decentralized cloud-computing sidechain");
        root.Subcommands.Add(KeysCommands.Build());
        root.Subcommands.Add(NodeCommands.BuildInit());
        root.Subcommands.Add(NodeCommands.BuildRun());
        root.Subcommands.Add(WorkerCommand.Build());
        root.Subcommands.Add(DevnetCommand.Build());
        root.Subcommands.Add(TxCommands.Build());
        root.Subcommands.Add(GovCommands.Build());
        foreach (var command in MarketCommands.Build()) root.Subcommands.Add(command);
        root.Subcommands.Add(ContentCommands.Build());
        root.Subcommands.Add(Anchoring.AnchorCommands.BuildAnchor());
        root.Subcommands.Add(Anchoring.AnchorCommands.BuildRelayer());
        root.Subcommands.Add(Bridge.BridgeCommands.Build());
        root.Subcommands.Add(QueryCommands.Build());
        root.Subcommands.Add(ChainCommands.Build());
        root.Subcommands.Add(SnapshotCommands.Build());
        root.Subcommands.Add(BenchCommand.Build());
        return root.Parse(args).Invoke();
    }
}
