using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Validators;

namespace IExecChain.Node.Cli;

/// <summary>
/// `iexchain gov propose|vote|show`: governance of the validator set and parameters. Proposals
/// carry the keccak256 of a text describing them (RFC style); only validators propose and vote.
/// </summary>
public static class GovCommands
{
    public static Command Build()
    {
        var gov = new Command("gov", "Propose and vote on validator-set and parameter changes");
        var propose = new Command("propose", "Submit a governance proposal (validators only)");
        propose.Subcommands.Add(BuildAdmit());
        propose.Subcommands.Add(BuildRemove());
        propose.Subcommands.Add(BuildParameter());
        propose.Subcommands.Add(BuildApp("approve-app", "Approve an app pending approval (chain spec market.requireAppApproval)", revoke: false));
        propose.Subcommands.Add(BuildApp("revoke-app", "Revoke an app: its orders leave the book and it no longer matches", revoke: true));
        gov.Subcommands.Add(propose);
        gov.Subcommands.Add(BuildVote());
        gov.Subcommands.Add(BuildShow());
        return gov;
    }

    private static Option<string> Description() => new("--description") { Description = "File with the proposal's text; its keccak256 goes on chain", Required = true };

    private static Command BuildAdmit()
    {
        var publicKey = new Option<string>("--public-key") { Description = "The new validator's 64-byte public key (hex, uncompressed without 04; `iexchain keys inspect` prints it)", Required = true };
        var description = Description();
        var command = new Command("admit-validator", "Admit a validator; it joins at the next epoch if it stakes the minimum") { publicKey, description };
        var common = TxCommands.CommonOptions.AddTo(command);
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Hex.TryDecode(r.GetValue(publicKey), out var key, out _) || key.Length != 64)
                throw new CliException("--public-key: must be 64 bytes of hex (uncompressed public key without the 04 prefix)");
            var action = new GovernancePropose { AdmitValidator = new AdmitValidator { PublicKey = ByteString.CopyFrom(key) }, DescriptionHash = DescriptionHash(r.GetValue(description)!) };
            Console.WriteLine($"proposing to admit {Address.FromPublicKey(key)}");
            return await TxCommands.SubmitAsync(r, common, body => body.Propose = action, "governance");
        }));
        return command;
    }

    private static Command BuildRemove()
    {
        var address = new Option<string>("--address") { Description = "Validator to remove", Required = true };
        var description = Description();
        var command = new Command("remove-validator", "Remove a validator; it leaves at the next epoch") { address, description };
        var common = TxCommands.CommonOptions.AddTo(command);
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Address.TryParse(r.GetValue(address), out var target, out var error)) throw new CliException($"--address: {error}");
            var action = new GovernancePropose { RemoveValidator = new RemoveValidator { Address = ByteString.CopyFrom(target.ToArray()) }, DescriptionHash = DescriptionHash(r.GetValue(description)!) };
            return await TxCommands.SubmitAsync(r, common, body => body.Propose = action, "governance");
        }));
        return command;
    }

    private static Command BuildParameter()
    {
        var name = new Option<string>("--name") { Description = "The parameter to change (one of those listed above)", Required = true };
        var value = new Option<string>("--value") { Description = "New value (nRLC, or RLC with a suffix: 2.5RLC)", Required = true };
        var description = Description();
        var command = new Command("change-parameter", ParameterHelp()) { name, value, description };
        var common = TxCommands.CommonOptions.AddTo(command);
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            // Checked here too so that a typo costs no governance fee and no proposal number.
            var parameter = GovernableParameters.Find(r.GetValue(name)!)
                ?? throw new CliException($"--name: '{r.GetValue(name)}' is not governable (governable: {GovernableParameters.NameList})");
            ulong newValue = ParseValue(parameter, r.GetValue(value)!);
            if (!parameter.Allows(newValue))
                throw new CliException($"--value: {parameter.Name} must be between {Show(parameter, parameter.Min)} and {Show(parameter, parameter.Max)}, got {Show(parameter, newValue)}");
            var action = new GovernancePropose
            {
                ChangeParameter = new ChangeParameter { Name = parameter.Name, Value = newValue },
                DescriptionHash = DescriptionHash(r.GetValue(description)!),
            };
            return await TxCommands.SubmitAsync(r, common, body => body.Propose = action, "governance");
        }));
        return command;
    }

    private static string ParameterHelp()
    {
        var help = new System.Text.StringBuilder("Change a governable chain parameter; a passed change applies from the next block. Governable parameters:");
        foreach (var p in GovernableParameters.All)
            help.Append($"\n  {p.Name}: {p.Doc} Allowed: {Show(p, p.Min)} to {Show(p, p.Max)}.");
        return help.ToString();
    }

    private static ulong ParseValue(GovernableParameter parameter, string text) => parameter.Unit switch
    {
        ParameterUnit.NanoRlc => Amounts.Parse(text, "--value"),
        _ => throw new UnreachableException($"no parser for {parameter.Unit}"),
    };

    private static string Show(GovernableParameter parameter, ulong value) => parameter.Unit switch
    {
        ParameterUnit.NanoRlc => Amounts.Format(value),
        _ => throw new UnreachableException($"no format for {parameter.Unit}"),
    };

    private static Command BuildApp(string name, string help, bool revoke)
    {
        var app = new Option<string>("--app") { Description = "App address", Required = true };
        var description = Description();
        var command = new Command(name, help) { app, description };
        var common = TxCommands.CommonOptions.AddTo(command);
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Address.TryParse(r.GetValue(app), out var id, out var error)) throw new CliException($"--app: {error}");
            var decision = new AppDecision { App = ByteString.CopyFrom(id.ToArray()) };
            var action = new GovernancePropose { DescriptionHash = DescriptionHash(r.GetValue(description)!) };
            if (revoke) action.RevokeApp = decision; else action.ApproveApp = decision;
            return await TxCommands.SubmitAsync(r, common, body => body.Propose = action, "governance");
        }));
        return command;
    }

    private static Command BuildVote()
    {
        var proposal = new Option<ulong>("--proposal") { Description = "Proposal number", Required = true };
        var yes = new Option<bool>("--yes") { Description = "Vote for" };
        var no = new Option<bool>("--no") { Description = "Vote against" };
        var command = new Command("vote", "Vote on an open proposal (validators only)") { proposal, yes, no };
        var common = TxCommands.CommonOptions.AddTo(command);
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            if (r.GetValue(yes) == r.GetValue(no)) throw new CliException("give exactly one of --yes or --no");
            if (r.GetValue(proposal) == 0) throw new CliException("--proposal: proposal numbers start at 1");
            var vote = new GovernanceVote { ProposalId = r.GetValue(proposal), Approve = r.GetValue(yes) };
            return await TxCommands.SubmitAsync(r, common, body => body.Vote = vote, "governance");
        }));
        return command;
    }

    private static Command BuildShow()
    {
        var proposal = new Argument<ulong>("id") { Description = "Proposal number" };
        var rpc = new Option<string>("--rpc") { Description = "Node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" };
        var command = new Command("show", "Show a proposal and its votes") { proposal, rpc };
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(rpc)!));
            var result = await client.CallAsync("iex_getProposal", r.GetValue(proposal).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (result.ValueKind == JsonValueKind.Null) throw new CliException($"proposal {r.GetValue(proposal)} does not exist");
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }

    private static ByteString DescriptionHash(string path)
    {
        if (!File.Exists(path)) throw new CliException($"--description: file '{path}' does not exist");
        var text = File.ReadAllBytes(path);
        if (text.Length == 0) throw new CliException($"--description: '{path}' is empty; describe the proposal");
        return ByteString.CopyFrom(Keccak256.HashToArray(text));
    }
}
