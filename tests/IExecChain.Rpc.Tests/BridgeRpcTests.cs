using System.Text;
using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Bridge;
using IExecChain.Core.Checkpoints;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Rpc.Chain;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.State.Chain;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests;

/// <summary>iex_bridgeStatus, iex_getDeposit and iex_getWithdrawal through the dispatcher, on a one-validator chain with a bridge.</summary>
[TestFixture]
public sealed class BridgeRpcTests
{
    private static readonly PrivateKey User = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/bridge-rpc/user")));
    private static readonly Address EthUser = new(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/bridge-rpc/eth")).AsSpan(12));
    private const ulong Interval = 4;

    private sealed record Node(ChainSpec Spec, BlockProcessor Processor, JsonRpcDispatcher Dispatcher)
    {
        private readonly Dictionary<Address, ulong> _nonces = [];

        public Transaction Sign(PrivateKey key, Action<TransactionBody> payload)
        {
            ulong nonce = _nonces.GetValueOrDefault(key.Address);
            _nonces[key.Address] = nonce + 1;
            var body = new TransactionBody { ChainId = Spec.ChainId, Nonce = nonce, Fee = Spec.Parameters.Fees.Bridge };
            payload(body);
            Assert.That(TransactionCodec.TryDecode(TransactionCodec.Sign(body, key), Spec.ChainId, 4096, out var tx, out var error), Is.True, error);
            return tx!;
        }

        public Transaction Attest(params BridgeDeposit[] deposits) => Sign(OneValidatorChain.Validator, b =>
        {
            b.AttestDeposits = new AttestDeposits();
            b.AttestDeposits.Deposits.AddRange(deposits);
        });

        public Transaction Withdraw(ulong amount) =>
            Sign(User, b => b.Withdraw = new Withdraw { Recipient = ByteString.CopyFrom(EthUser.ToArray()), Amount = amount });

        public ExecutedBlock Produce(params Transaction[] txs)
        {
            var executed = OneValidatorChain.Produce(Processor, txs);
            Assert.That(executed.Receipts.Select(r => r.Status), Is.All.EqualTo(ReceiptStatus.Success), $"block {executed.Block.Height}");
            return executed;
        }

        public async Task<JsonElement> Call(string method, params object[] parameters)
        {
            byte[] request = JsonSerializer.SerializeToUtf8Bytes(new { jsonrpc = "2.0", id = 1, method, @params = parameters });
            using var response = JsonDocument.Parse((await Dispatcher.HandleAsync(request, CancellationToken.None))!);
            return response.RootElement.Clone();
        }

        public async Task<JsonElement> Result(string method, params object[] parameters) => (await Call(method, parameters)).GetProperty("result");
    }

    private static Node Start()
    {
        var spec = OneValidatorChain.Spec() with
        {
            Accounts = [new GenesisAccount(OneValidatorChain.Validator.Address, 1_000_000), new GenesisAccount(User.Address, 1_000_000)],
        };
        spec = spec with
        {
            Parameters = spec.Parameters.WithCheckpointInterval(Interval) with
            {
                Bridge = new BridgeParameters { EthChainId = 1337, Contract = new Address(Enumerable.Repeat((byte)0xB1, 20).ToArray()), Confirmations = 3 },
            },
        };
        var processor = OneValidatorChain.Processor(spec);
        var registry = new RpcMethodRegistry();
        new BridgeRpcMethods(spec, processor).RegisterAll(registry);
        new CheckpointRpcMethods(spec.ChainId, processor).RegisterAll(registry);
        return new Node(spec, processor, new JsonRpcDispatcher(registry));
    }

    private static BridgeDeposit Deposit(ulong id, ulong amount) => new()
    {
        Id = id,
        Depositor = ByteString.CopyFrom(EthUser.ToArray()),
        Recipient = ByteString.CopyFrom(User.Address.ToArray()),
        Amount = amount,
        EthTxHash = ByteString.CopyFrom(Keccak256.HashToArray([(byte)id])),
        EthBlockNumber = 40 + id,
    };

    [Test]
    public async Task A_withdrawal_is_served_with_a_proof_into_the_withdrawals_root_its_checkpoint_signs()
    {
        var node = Start();
        node.Produce(node.Attest(Deposit(0, 500_000)));                                   // height 1: credited at once (all the power)
        var withdrawn = node.Produce(node.Withdraw(100_000), node.Withdraw(70_000), node.Withdraw(1));   // height 2: period of checkpoint 1

        var early = await node.Result("iex_getWithdrawal", "1");
        Assert.That(early.GetProperty("status").GetString(), Is.EqualTo("in-period"));
        Assert.That(early.TryGetProperty("proof", out var none) ? none.ValueKind : JsonValueKind.Null, Is.EqualTo(JsonValueKind.Null), "no proof before the period's last block");
        Assert.That(JsonRpcClient.Quantity(early.GetProperty("height")), Is.EqualTo(withdrawn.Block.Height));

        node.Produce();
        node.Produce();                 // height 4 ends checkpoint 1
        Assert.That((await node.Result("iex_getWithdrawal", "1")).GetProperty("status").GetString(), Is.EqualTo("signing"));
        node.Produce();                 // height 5 records it

        var served = await node.Result("iex_getWithdrawal", "0x1");
        TestContext.Out.WriteLine(served.ToString());
        Assert.That(served.GetProperty("status").GetString(), Is.EqualTo("checkpointed"));
        Assert.That(served.GetProperty("recipient").GetString(), Is.EqualTo(EthUser.ToString()));
        Assert.That(served.GetProperty("sender").GetString(), Is.EqualTo(User.Address.ToString()));
        Assert.That(JsonRpcClient.Quantity(served.GetProperty("amount")), Is.EqualTo(70_000));
        var withdrawal = new Withdrawal(1, EthUser, 70_000);
        Assert.That(served.GetProperty("leafHash").GetString(), Is.EqualTo(withdrawal.LeafHash().ToString()));

        var c = served.GetProperty("checkpoint");
        var checkpoint = new Checkpoint(JsonRpcClient.Quantity(c.GetProperty("chainId")), JsonRpcClient.Quantity(c.GetProperty("number")),
            JsonRpcClient.Quantity(c.GetProperty("firstHeight")), JsonRpcClient.Quantity(c.GetProperty("lastHeight")),
            Hash256.Parse(c.GetProperty("blocksRoot").GetString()!), Hash256.Parse(c.GetProperty("stateRoot").GetString()!),
            Hash256.Parse(c.GetProperty("nextValidatorSetHash").GetString()!), Hash256.Parse(c.GetProperty("withdrawalsRoot").GetString()!));
        var recorded = await node.Result("iex_getCheckpoint", "1");
        Assert.That(checkpoint.Digest().ToString(), Is.EqualTo(recorded.GetProperty("digest").GetString()), "the checkpoint the validators signed");
        Assert.That(recorded.GetProperty("withdrawalsRoot").GetString(), Is.EqualTo(checkpoint.WithdrawalsRoot.ToString()));

        var proof = served.GetProperty("proof");
        var siblings = proof.GetProperty("siblings").EnumerateArray().Select(s => Hash256.Parse(s.GetString()!)).ToList();
        int index = (int)JsonRpcClient.Quantity(proof.GetProperty("index")), count = (int)JsonRpcClient.Quantity(proof.GetProperty("count"));
        Assert.That((index, count), Is.EqualTo((1, 3)));
        Assert.That(MerkleRoot.Verify(checkpoint.WithdrawalsRoot, withdrawal.LeafHash(), index, count, siblings), Is.True);
        Assert.That(MerkleRoot.Verify(checkpoint.WithdrawalsRoot, (withdrawal with { Amount = 70_001 }).LeafHash(), index, count, siblings), Is.False);

        Assert.That((await node.Result("iex_getWithdrawal", "3")).ValueKind, Is.EqualTo(JsonValueKind.Null));
        var bad = await node.Call("iex_getWithdrawal", "one");
        Assert.That(bad.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(bad.GetProperty("error").GetProperty("message").GetString(), Does.Contain("id"));
    }

    [Test]
    public async Task Deposits_and_totals_are_served_as_credited_or_being_attested()
    {
        var node = Start();
        node.Produce(node.Attest(Deposit(0, 500_000), Deposit(2, 9)));   // 0 is credited; 2 waits for 1
        node.Produce(node.Withdraw(120_000));

        var credited = await node.Result("iex_getDeposit", "0");
        Assert.That(credited.GetProperty("status").GetString(), Is.EqualTo("credited"));
        Assert.That(credited.GetProperty("attesters").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { OneValidatorChain.Validator.Address.ToString() }));
        Assert.That(JsonRpcClient.Quantity(credited.GetProperty("deposit").GetProperty("amount")), Is.EqualTo(500_000));
        Assert.That((await node.Result("iex_getDeposit", "1")).ValueKind, Is.EqualTo(JsonValueKind.Null));
        var waiting = await node.Result("iex_getDeposit", "2");
        Assert.That(waiting.GetProperty("status").GetString(), Is.EqualTo("attesting"));

        var status = await node.Result("iex_bridgeStatus");
        TestContext.Out.WriteLine(status.ToString());
        Assert.That(JsonRpcClient.Quantity(status.GetProperty("bridgedSupply")), Is.EqualTo(380_000));
        Assert.That(JsonRpcClient.Quantity(status.GetProperty("depositedTotal")), Is.EqualTo(500_000));
        Assert.That(JsonRpcClient.Quantity(status.GetProperty("withdrawnTotal")), Is.EqualTo(120_000));
        Assert.That(JsonRpcClient.Quantity(status.GetProperty("nextDepositId")), Is.EqualTo(1));
        Assert.That(JsonRpcClient.Quantity(status.GetProperty("nextWithdrawalId")), Is.EqualTo(1));
        Assert.That(status.GetProperty("bridge").GetProperty("contract").GetString(), Is.EqualTo(node.Spec.Parameters.Bridge!.Contract.ToString()));
        Assert.That(status.GetProperty("pendingDeposits").GetArrayLength(), Is.Zero, "deposit 1 has no attestation: the list stops there");
    }
}
