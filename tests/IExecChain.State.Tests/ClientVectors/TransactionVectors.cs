using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using Attribute = IExecChain.Core.Wire.Attribute;

namespace IExecChain.State.Tests.ClientVectors;

/// <summary>
/// The fixed transactions of the known-answer vectors the explorer's JS client is checked against
/// (tests/vectors/transactions.json): every payload type, fixed keys (one of them 1, one n − 1),
/// and edge values: zeros that proto3 leaves out, uint64 maxima, oneof members set to their default,
/// negative int64, empty sub-messages, non-ASCII text (accents, CJK, an emoji outside the BMP).
/// </summary>
internal static class TransactionVectors
{
    public sealed record Vector(string Name, PrivateKey Key, TransactionBody Body);

    public const ulong Devnet = 1337;

    public static readonly PrivateKey Alice = PrivateKey.FromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    public static readonly PrivateKey One = PrivateKey.FromHex("0x0000000000000000000000000000000000000000000000000000000000000001");
    public static readonly PrivateKey OrderMinusOne = PrivateKey.FromHex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140");
    public static readonly PrivateKey Carol = PrivateKey.FromHex("0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f");

    private static ByteString Bytes(string hex) => ByteString.CopyFrom(Hex.Decode(hex));

    /// <summary>A 20-byte address whose last bytes spell <paramref name="tail"/> (hex), zero-padded on the left.</summary>
    private static ByteString Address(string tail) => Bytes(tail.PadLeft(40, '0'));

    /// <summary>32 bytes: keccak256 of the label, so each hash in the vectors is distinct and recognisable.</summary>
    private static ByteString Hash(string label) => ByteString.CopyFrom(Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes(label)).ToArray());

    private static TransactionBody Body(ulong nonce, ulong fee, ulong chainId = Devnet) => new() { ChainId = chainId, Nonce = nonce, Fee = fee };

    public static IReadOnlyList<Vector> All()
    {
        var v = new List<Vector>();
        void Add(string name, PrivateKey key, TransactionBody body) => v.Add(new Vector(name, key, body));

        // ---- transfers: the docs/rpc.md example's body, then the extremes ----
        var docs = Body(0, 1000);
        docs.Transfer = new Transfer { To = Address("0a11ce"), Amount = 1_000_000_000 };
        Add("transfer: the docs/rpc.md example (nonce 0 left out)", Alice, docs);

        var max = Body(ulong.MaxValue, ulong.MaxValue, chainId: ulong.MaxValue);
        max.Transfer = new Transfer { To = Address("ffffffffffffffffffffffffffffffffffffffff"), Amount = ulong.MaxValue };
        Add("transfer: every integer at 2^64 - 1, key n - 1", OrderMinusOne, max);

        var zero = Body(0, 0);
        zero.Transfer = new Transfer { To = Address("0"), Amount = 0 };
        Add("transfer: zero amount, fee and nonce all left out (the node refuses the amount)", One, zero);

        var small = Body(127, 128);
        small.Transfer = new Transfer { To = Address("b0"), Amount = 16_383 };
        Add("transfer: varints at their one/two-byte boundaries (127, 128, 16383), key 1", One, small);

        // ---- stake ----
        var stake = Body(1, 10_000);
        stake.Stake = new Stake { Role = StakeRole.Validator, Amount = 100_000_000_000_000 };
        Add("stake: validator", Alice, stake);

        var workerStake = Body(2, 10_000);
        workerStake.Stake = new Stake { Role = StakeRole.Worker, Amount = 2_500_000_000 };
        Add("stake: worker", Carol, workerStake);

        var unstake = Body(3, 10_000);
        unstake.Unstake = new Unstake { Role = StakeRole.Worker, Amount = 1 };
        Add("unstake: worker, one nRLC", Carol, unstake);

        var unstakeValidator = Body(4, 10_000);
        unstakeValidator.Unstake = new Unstake { Role = StakeRole.Validator, Amount = ulong.MaxValue };
        Add("unstake: validator, 2^64 - 1", Alice, unstakeValidator);

        // ---- orders: each kind the market has ----
        var app = Body(5, 500);
        app.PlaceOrder = new PlaceOrder
        {
            App = new AppOrder
            {
                App = Address("a99"), Price = 3_000_000, Volume = 10, Tag = 0x8000_0000_0000_0001,
                DatasetRestrict = { Address("da7a") }, WorkerpoolRestrict = { Address("9001"), Address("9002") },
                Salt = Bytes("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"),
            },
        };
        Add("place order: app order with restrictions, a high tag bit and a 32-byte salt", Alice, app);

        var dataset = Body(6, 500);
        dataset.PlaceOrder = new PlaceOrder
        {
            Dataset = new DatasetOrder { Dataset = Address("da7a"), Price = 0, Volume = 1, Tag = ulong.MaxValue, RequesterRestrict = { Address("c0ffee") }, Salt = Bytes("0x00") },
        };
        Add("place order: dataset order, free (price left out), tag 2^64 - 1, one-byte zero salt", Carol, dataset);

        var pool = Body(7, 500);
        pool.PlaceOrder = new PlaceOrder
        {
            Workerpool = new WorkerpoolOrder
            {
                Workerpool = Address("9001"), Price = 1_000_000, Volume = 100, Category = 2, Trust = 5,
                AppRestrict = { Address("a99") },
                Capabilities =
                {
                    new Attribute { Name = "cpu.cores", IntValue = 16 },
                    new Attribute { Name = "gpu", BoolValue = false },
                    new Attribute { Name = "memory.mb", IntValue = 0 },
                    new Attribute { Name = "offset", IntValue = -1 },
                    new Attribute { Name = "min", IntValue = long.MinValue },
                    new Attribute { Name = "region", StringValue = "eu-west" },
                    new Attribute { Name = "label", StringValue = "" },
                    new Attribute { Name = "site", StringValue = "Zürich 東京 🚀" },
                },
                Requirements = "cpu.cores >= 4",
                Performance = 1_000_000, EnergyEfficiency = 250_000,
            },
        };
        Add("place order: workerpool order, capabilities with oneof members at their defaults (0, false, \"\"), negative int64, non-ASCII text", OrderMinusOne, pool);

        var request = Body(8, 500);
        request.PlaceOrder = new PlaceOrder
        {
            Request = new RequestOrder
            {
                App = Address("a99"), AppMaxPrice = 3_000_000, Dataset = Address("da7a"), DatasetMaxPrice = 0,
                Workerpool = Address("9001"), WorkerpoolMaxPrice = 2_000_000, Requester = Address("c0ffee"),
                Volume = 3, Tag = 1, Category = 0, Trust = 100, Beneficiary = Address("beef"),
                Params = "--name \"Ünïcødé\" --emoji 🧪 --cjk 計算", Salt = Bytes("0xdeadbeef"),
                Requirements = "region == \"eu-west\" && gpu", Attributes = { new Attribute { Name = "priority", IntValue = 7 } },
                Weights = new RankingWeights { Cost = 500_000, Performance = 1_000_000, Reliability = 0, Trust = 1, Energy = 999_999 },
            },
        };
        Add("place order: request order, every field set, zero prices left out, non-ASCII params", Alice, request);

        var minimal = Body(9, 500);
        minimal.PlaceOrder = new PlaceOrder
        {
            Request = new RequestOrder { App = Address("a99"), Requester = Address("c0ffee"), Volume = 1, Weights = new RankingWeights() },
        };
        Add("place order: request order, any dataset and pool, all-zero weights (an empty sub-message still written)", Carol, minimal);

        var emptyApp = Body(10, 500);
        emptyApp.PlaceOrder = new PlaceOrder { App = new AppOrder { App = Address("a99") } };
        Add("place order: app order with only its app (price and volume 0 left out; the market refuses volume 0 when it executes it)", Alice, emptyApp);

        var cancel = Body(11, 500);
        cancel.CancelOrder = new CancelOrder { OrderHash = Hash("an order") };
        Add("cancel order", Alice, cancel);

        // ---- registry ----
        var wasm = Body(12, 2000);
        wasm.RegisterApp = new RegisterApp
        {
            Name = "word-count", Runtime = AppRuntime.Wasm, ContentRoot = Hash("wasm module"), ContentSize = 123_456,
            Endpoint = "http://127.0.0.1:8645/", Manifest = "Counts words — «quickly» ✓",
        };
        Add("register app: WebAssembly, non-ASCII manifest", Alice, wasm);

        var native = Body(13, 2000);
        native.RegisterApp = new RegisterApp { Name = "ffmpeg", Runtime = AppRuntime.Native, ContentRoot = Hash("native executable"), Manifest = "/usr/bin/ffmpeg -i input.mp4 out.webm" };
        Add("register app: native, no size or endpoint", Carol, native);

        var registerDataset = Body(14, 2000);
        registerDataset.RegisterDataset = new RegisterDataset { Name = "imagenet-sample", ContentRoot = Hash("dataset"), Size = ulong.MaxValue, Endpoint = "https://data.example:8645/rpc" };
        Add("register dataset: size 2^64 - 1", Alice, registerDataset);

        var registerPool = Body(15, 2000);
        registerPool.RegisterWorkerpool = new RegisterWorkerpool
        {
            Description = "Pool à Lyon — GPU 🎮", WorkerStakeRatio = 30, SchedulerRewardRatio = 0,
            WorkerAllow = { Address("1"), Address("2") }, AllowNative = true,
        };
        Add("register workerpool: allow-list, native, non-ASCII description", Carol, registerPool);

        var join = Body(16, 2000);
        join.JoinPool = new JoinPool { Workerpool = Address("9001"), Endpoint = "http://10.0.0.7:8645/" };
        Add("join pool", Carol, join);

        var leave = Body(17, 2000);
        leave.LeavePool = new LeavePool();
        Add("leave pool: an empty payload message", Carol, leave);

        // ---- tasks ----
        var contribute = Body(18, 100);
        contribute.Contribute = new Contribute { TaskId = Hash("task"), ResultHash = Hash("result hash"), ResultSeal = Hash("result seal") };
        Add("contribute", Carol, contribute);

        var reveal = Body(19, 100);
        reveal.Reveal = new Reveal { TaskId = Hash("task"), ResultDigest = Hash("digest") };
        Add("reveal", Carol, reveal);

        var report = Body(20, 100);
        report.ReportFailure = new ReportFailure { TaskId = Hash("task"), Failure = ReplicaFailure.TooManyProcesses };
        Add("report failure: the highest failure code", Carol, report);

        var challenge = Body(21, 500);
        challenge.Challenge = new Challenge { TaskId = Hash("task") };
        Add("challenge", Alice, challenge);

        // ---- bridge and anchoring ----
        var withdraw = Body(22, 300);
        withdraw.Withdraw = new Withdraw { Recipient = Address("e7e7"), Amount = 42 };
        Add("withdraw", Alice, withdraw);

        var attest = Body(23, 300);
        attest.AttestDeposits = new AttestDeposits
        {
            Deposits =
            {
                new BridgeDeposit { Id = 0, Depositor = Address("d1"), Recipient = Address("a1"), Amount = 5, EthTxHash = Hash("eth tx 0"), EthBlockNumber = 17_000_000 },
                new BridgeDeposit { Id = 1, Depositor = Address("d2"), Recipient = Address("a2"), Amount = ulong.MaxValue, EthTxHash = Hash("eth tx 1"), EthBlockNumber = 0 },
            },
        };
        Add("attest deposits: two, the first with id 0 (left out)", Alice, attest);

        var anchor = Body(24, 300);
        anchor.AnchorReceipt = new AnchorReceipt { CheckpointNumber = 3, EthChainId = 11_155_111, AnchorContract = Address("a0c0"), EthTxHash = Hash("anchor tx"), EthBlockNumber = 5_000_000 };
        Add("anchor receipt", Alice, anchor);

        // ---- governance ----
        var change = Body(25, 100);
        change.Propose = new GovernancePropose { ChangeParameter = new ChangeParameter { Name = "fees.transfer", Value = 500 }, DescriptionHash = Hash("raise the transfer fee") };
        Add("propose: change a parameter (action before description: field-number order)", Alice, change);

        var admit = Body(26, 100);
        admit.Propose = new GovernancePropose { AdmitValidator = new AdmitValidator { PublicKey = ByteString.CopyFrom(Carol.PublicKey) }, DescriptionHash = Hash("admit carol") };
        Add("propose: admit a validator", Alice, admit);

        var remove = Body(27, 100);
        remove.Propose = new GovernancePropose { RemoveValidator = new RemoveValidator { Address = ByteString.CopyFrom(Carol.Address.ToArray()) }, DescriptionHash = Hash("remove carol") };
        Add("propose: remove a validator", Alice, remove);

        var approveApp = Body(28, 100);
        approveApp.Propose = new GovernancePropose { ApproveApp = new AppDecision { App = Address("a99") }, DescriptionHash = Hash("approve") };
        Add("propose: approve an app", Alice, approveApp);

        var revokeApp = Body(29, 100);
        revokeApp.Propose = new GovernancePropose { RevokeApp = new AppDecision { App = Address("a99") }, DescriptionHash = Hash("revoke") };
        Add("propose: revoke an app", Alice, revokeApp);

        var yes = Body(30, 100);
        yes.Vote = new GovernanceVote { ProposalId = 1, Approve = true };
        Add("vote: yes", Alice, yes);

        var no = Body(31, 100);
        no.Vote = new GovernanceVote { ProposalId = 1, Approve = false };
        Add("vote: no (false left out)", Carol, no);

        return v;
    }
}
