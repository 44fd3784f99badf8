using System.CommandLine;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Cli;

public static class TxCommands
{
    public static Command Build()
    {
        var tx = new Command("tx", "Sign and submit transactions to a node");
        tx.Subcommands.Add(BuildTransfer());
        tx.Subcommands.Add(BuildStake("stake", "Stake RLC as a validator or worker"));
        tx.Subcommands.Add(BuildStake("unstake", "Start unbonding staked RLC (returned after the unbonding period)"));
        return tx;
    }

    private static Command BuildTransfer()
    {
        var to = new Option<string>("--to") { Description = "Recipient address", Required = true };
        var amount = new Option<string>("--amount") { Description = "nRLC, or RLC with a suffix: 2.5RLC", Required = true };
        var command = new Command("transfer", "Transfer RLC") { to, amount };
        var common = CommonOptions.AddTo(command);
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Address.TryParse(r.GetValue(to), out var recipient, out var error)) throw new CliException($"--to: {error}");
            var payload = new Transfer { To = ByteString.CopyFrom(recipient.ToArray()), Amount = Amounts.Parse(r.GetValue(amount)!, "--amount") };
            return await SubmitAsync(r, common, body => body.Transfer = payload, "transfer");
        }));
        return command;
    }

    private static Command BuildStake(string name, string description)
    {
        var role = new Option<string>("--role") { Description = "validator or worker", Required = true };
        role.AcceptOnlyFromAmong("validator", "worker");
        var amount = new Option<string>("--amount") { Description = "nRLC, or RLC with a suffix: 100RLC", Required = true };
        var command = new Command(name, description) { role, amount };
        var common = CommonOptions.AddTo(command);
        command.SetAction(r => Cli.RunAsync(async () =>
        {
            var stakeRole = r.GetValue(role) == "validator" ? StakeRole.Validator : StakeRole.Worker;
            ulong value = Amounts.Parse(r.GetValue(amount)!, "--amount");
            return await SubmitAsync(r, common, body =>
            {
                if (name == "stake") body.Stake = new Stake { Role = stakeRole, Amount = value };
                else body.Unstake = new Unstake { Role = stakeRole, Amount = value };
            }, name);
        }));
        return command;
    }

    internal static async Task<int> SubmitAsync(ParseResult r, CommonOptions common, Action<TransactionBody> setPayload, string feeKind,
        Action<TransactionBody, Address>? describe = null, PrivateKey? loadedKey = null)
    {
        var key = loadedKey ?? KeyFiles.Load(r.GetValue(common.Key)!, r.GetValue(common.PasswordFile));
        using var client = new NodeRpcClient(JsonRpcClient.ParseEndpoint(r.GetValue(common.Rpc)!));
        var info = await client.NodeInfoAsync();
        var body = new TransactionBody
        {
            ChainId = info.ChainId,
            Nonce = r.GetValue(common.Nonce) ?? (await client.GetAccountAsync(key.Address.ToString())).Nonce,
            Fee = r.GetValue(common.Fee) is { } fee ? Amounts.Parse(fee, "--fee") : info.Fees.Of(feeKind),
        };
        setPayload(body);
        describe?.Invoke(body, key.Address);
        var signed = TransactionCodec.Sign(body, key);
        var id = await client.SendRawTransactionAsync(Hex.Encode(signed));
        Console.WriteLine($"submitted {id}");
        if (!r.GetValue(common.Wait)) return 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await client.GetReceiptAsync(id) is { } receipt)
            {
                Console.WriteLine($"included in block {receipt.BlockNumber}: {receipt.Status}" + (receipt.Error is { } error ? $" ({error})" : ""));
                return receipt.Succeeded ? 0 : 1;
            }
            await Task.Delay(100);
        }
        throw new CliException($"transaction {id} was not included within 30 s");
    }

    internal sealed class CommonOptions
    {
        public required Option<string> Key { get; init; }
        public required Option<string?> PasswordFile { get; init; }
        public required Option<string> Rpc { get; init; }
        public required Option<ulong?> Nonce { get; init; }
        public required Option<string?> Fee { get; init; }
        public required Option<bool> Wait { get; init; }

        public static CommonOptions AddTo(Command command)
        {
            var o = new CommonOptions
            {
                Key = new Option<string>("--key") { Description = "Sender keystore file", Required = true },
                PasswordFile = new Option<string?>("--password-file") { Description = "File whose first line is the keystore password" },
                Rpc = new Option<string>("--rpc") { Description = "Node RPC URL", DefaultValueFactory = _ => $"http://{NodeOptions.DefaultRpcHost}:{NodeOptions.DefaultRpcPort}" },
                Nonce = new Option<ulong?>("--nonce") { Description = "Nonce to use (default: the account's next nonce)" },
                Fee = new Option<string?>("--fee") { Description = "Fee (default: the chain's fee for this type)" },
                Wait = new Option<bool>("--wait") { Description = "Wait until the transaction is in a block and print its receipt" },
            };
            command.Options.Add(o.Key);
            command.Options.Add(o.PasswordFile);
            command.Options.Add(o.Rpc);
            command.Options.Add(o.Nonce);
            command.Options.Add(o.Fee);
            command.Options.Add(o.Wait);
            return o;
        }
    }
}
