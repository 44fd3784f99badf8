using System.Numerics;
using System.Text;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Abi;
using IExecChain.Ethereum.Anchoring;
using IExecChain.Ethereum.Rlp;
using IExecChain.Ethereum.Transactions;
using IExecChain.Fuzzing.Targets;
using IExecChain.State.Chain;
using IExecChain.State.Execution;
using IExecChain.State.Snapshots;
using IExecChain.Storage;
using IExecChain.Worker.Wasm;

namespace IExecChain.Fuzzing;

/// <summary>
/// Valid inputs for every target, made with the node's own encoders and fixed keys, so the fuzzer
/// starts past the outer checks (a random byte string rarely carries a good signature). The files
/// are committed under tests/IExecChain.Fuzzing/corpus; regenerate with `seeds DIR`.
/// </summary>
public static class SeedCorpus
{
    public static void Write(string directory)
    {
        var chain = new FuzzChain();
        var transactions = Transactions().ToList();
        Save(directory, "transaction", transactions.Select(t => t.Bytes));
        Save(directory, "transaction-batch", [new TransactionBatch { Transactions = { transactions.Select(t => ByteString.CopyFrom(t.Bytes)) } }.ToByteArray()]);
        var decoded = transactions.Select(t => TransactionCodec.TryDecode(t.Bytes, FuzzChain.ChainId, 4096, out var tx, out var e) ? tx! : throw new InvalidOperationException($"{t.Name}: {e}")).ToList();
        var executed = chain.Processor.Propose(FuzzChain.Validator.Address, chain.Spec.GenesisTimeUnixMs + 1000, decoded, lastCommit: null);
        var block = executed.Block;
        Save(directory, "block", [block.ToBytes()]);
        Save(directory, "consensus", ConsensusMessages(block).Select(m => m.ToByteArray()));
        Save(directory, "jsonrpc", RpcRequests(transactions[0].Bytes, block).Select(Encoding.UTF8.GetBytes));
        Save(directory, "requirements", Requirements.Select(Encoding.UTF8.GetBytes));
        Save(directory, "order-json", Orders.Select(Encoding.UTF8.GetBytes));
        Save(directory, "chain-spec", [File.ReadAllBytes(RepoFile("chain-spec/devnet.json"))]);
        Save(directory, "node-config", [Encoding.UTF8.GetBytes(
            """{"data": "data", "key": "validator.json", "passwordFile": "pw", "rpc": "127.0.0.1:8645", "p2p": "0.0.0.0:30303", "peers": ["0x00000000000000000000000000000000000000aa@127.0.0.1:30304", "10.0.0.2:30303"]}""")]);
        Save(directory, "ethereum-abi", AbiOutputs());
        Save(directory, "ethereum-rlp", EthereumEncodings());
        Save(directory, "wasm", Directory.EnumerateFiles(RepoFile("chain-spec/apps"), "*.wat").Order(StringComparer.Ordinal)
            .Select(f => WasmCode.FromText(File.ReadAllText(f)).Bytes.ToArray()));
        Save(directory, "content-chunk", ContentChunks());
        Save(directory, "snapshot-sync", SnapshotSyncMessages().Select(m => m.ToByteArray()));
    }

    private static void Save(string directory, string target, IEnumerable<byte[]> inputs)
    {
        if (FuzzTargets.Find(target) is null) throw new InvalidOperationException($"no target '{target}'");
        var folder = Path.Combine(directory, target);
        Directory.CreateDirectory(folder);
        int i = 0;
        foreach (var input in inputs) File.WriteAllBytes(Path.Combine(folder, $"seed-{i++:D2}"), input);
    }

    private static IEnumerable<(string Name, byte[] Bytes)> Transactions()
    {
        var key = FuzzChain.Account;
        TransactionBody Body(ulong nonce, ulong fee) => new() { ChainId = FuzzChain.ChainId, Nonce = nonce, Fee = fee };
        var to = ByteString.CopyFrom(FuzzChain.Validator.Address.ToArray());
        var transfer = Body(0, 100); transfer.Transfer = new Transfer { To = to, Amount = 5 };
        yield return ("transfer", TransactionCodec.Sign(transfer, key));
        var stake = Body(1, 200); stake.Stake = new Stake { Role = StakeRole.Worker, Amount = 50 };
        yield return ("stake", TransactionCodec.Sign(stake, key));
        var unstake = Body(2, 300); unstake.Unstake = new Unstake { Role = StakeRole.Worker, Amount = 10 };
        yield return ("unstake", TransactionCodec.Sign(unstake, key));
        var propose = Body(3, 1000); propose.Propose = new GovernancePropose { RemoveValidator = new RemoveValidator { Address = to }, DescriptionHash = ByteString.CopyFrom(new byte[32]) };
        yield return ("propose", TransactionCodec.Sign(propose, key));
    }

    private static IEnumerable<ConsensusEnvelope> ConsensusMessages(ChainBlock block)
    {
        var key = FuzzChain.Validator;
        var hash = ByteString.CopyFrom(block.Hash.ToArray());
        var validator = ByteString.CopyFrom(key.Address.ToArray());
        var proposal = new Proposal
        {
            Height = block.Height, Round = 0, PolRound = -1, BlockHash = hash, Block = ByteString.CopyFrom(block.ToBytes()), Proposer = validator,
            Signature = ByteString.CopyFrom(key.Sign(VoteDigest.Proposal(FuzzChain.ChainId, block.Height, 0, -1, block.Hash))),
        };
        yield return new ConsensusEnvelope { Proposal = proposal };
        Vote Vote(VoteType type, uint round, Hash256 target) => new()
        {
            Type = type, Height = block.Height, Round = round, BlockHash = ByteString.CopyFrom(target.ToArray()), Validator = validator,
            Signature = ByteString.CopyFrom(key.Sign(VoteDigest.Compute(FuzzChain.ChainId, type, block.Height, round, target))), TimeUnixMs = 1_700_000_001_000,
        };
        var precommit = Vote(VoteType.Precommit, 0, block.Hash);
        yield return new ConsensusEnvelope { Vote = Vote(VoteType.Prevote, 0, block.Hash) };
        yield return new ConsensusEnvelope { Vote = precommit };
        yield return new ConsensusEnvelope { Evidence = new DuplicateVoteEvidence { VoteA = precommit, VoteB = Vote(VoteType.Precommit, 0, Hash256.Zero) } };
        yield return new ConsensusEnvelope { Status = new ConsensusStatus { Height = 2, Round = 1 } };
        yield return new ConsensusEnvelope { BlockRequest = new BlockRequest { FromHeight = 1, Count = 10 } };
        var commit = new Commit { Height = block.Height, BlockHash = hash, Signatures = { new CommitSignature { Validator = validator, Signature = precommit.Signature } } };
        yield return new ConsensusEnvelope
        {
            BlockResponse = new BlockResponse { HeadHeight = 1, Blocks = { new CommittedBlock { Block = ByteString.CopyFrom(block.ToBytes()), Commit = commit } } },
        };
    }

    private static IEnumerable<string> RpcRequests(byte[] transaction, ChainBlock block)
    {
        string account = FuzzChain.Account.Address.ToString();
        string tx = Hex.Encode(transaction);
        yield return """{"jsonrpc":"2.0","id":1,"method":"iex_blockNumber"}""";
        yield return """{"jsonrpc":"2.0","id":"a","method":"iex_getBlockByNumber","params":["latest", true]}""";
        yield return """{"jsonrpc":"2.0","id":2,"method":"iex_getBlockByNumber","params":["0x0"]}""";
        yield return $$"""{"jsonrpc":"2.0","id":3,"method":"iex_getBlockByHash","params":["{{block.Hash}}"]}""";
        yield return $$"""{"jsonrpc":"2.0","id":4,"method":"iex_getAccount","params":["{{account}}"]}""";
        yield return $$"""{"jsonrpc":"2.0","id":5,"method":"iex_getProof","params":["{{account}}", "latest"]}""";
        yield return $$"""{"jsonrpc":"2.0","id":6,"method":"iex_sendRawTransaction","params":["{{tx}}"]}""";
        yield return $$"""{"jsonrpc":"2.0","id":7,"method":"iex_getTransaction","params":["{{block.Hash}}"]}""";
        yield return $$"""{"jsonrpc":"2.0","id":8,"method":"iex_getReceipt","params":["{{block.Hash}}"]}""";
        yield return """{"jsonrpc":"2.0","id":9,"method":"iex_getValidators","params":["latest"]}""";
        yield return """{"jsonrpc":"2.0","id":10,"method":"iex_getOrderBook","params":[{"category":0,"kind":"request"}]}""";
        yield return """{"jsonrpc":"2.0","id":11,"method":"iex_getCheckpoint","params":[0]}""";
        yield return """{"jsonrpc":"2.0","id":12,"method":"iex_getProposals","params":[]}""";
        yield return """[{"jsonrpc":"2.0","id":1,"method":"iex_chainId"},{"jsonrpc":"2.0","method":"iex_blockNumber"},{"jsonrpc":"2.0","id":null,"method":"nope"}]""";
    }

    private static readonly string[] Requirements =
    [
        "other.memory.mb >= 2048", "other.cpu.cores < 4 || other.gpu", "!other.gpu",
        "(other.cpu.cores >= 4 && other.memory.mb >= 1024) && !(other.region == \"us\")",
        "input.mb < 512 && my.input.mb == 300", "-5 < other.cpu.cores", "other.cpu.cores != -9223372036854775808", "true", "",
    ];

    private static readonly string[] Orders =
    [
        """{"apporder": {"app": "0x00000000000000000000000000000000000000a1", "appprice": "2.5RLC", "volume": 10, "tag": 0, "salt": "0x01"}}""",
        """{"datasetorder": {"dataset": "0x00000000000000000000000000000000000000d1", "datasetprice": 1000, "volume": 1}}""",
        """{"workerpoolorder": {"workerpool": "0x00000000000000000000000000000000000000b1", "workerpoolprice": 50, "volume": 4, "category": 0, "trust": 5, "capabilities": {"cpu.cores": 8, "gpu": true, "region": "eu"}}}""",
        """{"requestorder": {"app": "0x00000000000000000000000000000000000000a1", "appmaxprice": 10, "workerpoolmaxprice": 100, "volume": 1, "category": 0, "trust": 5, "params": "--n 3", "requirements": "other.cpu.cores >= 4", "attributes": {"input.mb": 3}, "weights": {"cost": 1, "performance": 2}}}""",
    ];

    private static IEnumerable<byte[]> AbiOutputs()
    {
        var a = FuzzChain.Account.Address;
        var b = FuzzChain.Validator.Address;
        yield return Prefix(0, AbiCodec.Encode([AbiType.Parse("uint64"), AbiType.Parse("uint64")], [new BigInteger(5), new BigInteger(100)]));
        yield return Prefix(1, AbiCodec.Encode([AbiType.Parse("uint64"), AbiType.Parse("bytes32")], [new BigInteger(4), new byte[32]]));
        yield return Prefix(3, AbiCodec.Encode([AbiType.Parse("address[]"), AbiType.Parse("uint96[]")],
            [new object[] { a, b }, new object[] { new BigInteger(5000), new BigInteger(2500) }]));
        yield return Prefix(4, AbiCodec.Encode([AbiType.Parse("bool")], [true]));
        static byte[] Prefix(byte view, byte[] data) => [view, .. data];
    }

    private static IEnumerable<byte[]> EthereumEncodings()
    {
        var tx = new Eip1559Transaction(1337, 7, 1_000_000_000, 20_000_000_000, 300_000, FuzzChain.Validator.Address, 12345, [0xde, 0xad],
            [new AccessListEntry(FuzzChain.Account.Address, [Hash256.Zero])]);
        yield return tx.Sign(FuzzChain.Account).Raw;
        yield return Rlp.Encode(RlpItem.List(RlpItem.Of(new byte[] { 1, 2, 3 }), RlpItem.List(), RlpItem.Of(new byte[60])));
    }

    private static IEnumerable<byte[]> ContentChunks()
    {
        var content = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        var tree = ContentTree.Build(content, 1024);
        foreach (long index in new long[] { 0, 3, 9 })
        {
            var proof = tree.Prove(index);
            var (offset, length) = tree.ChunkRange(index);
            var input = new List<byte>();
            input.AddRange(BitConverter.GetBytes(index));
            input.AddRange(BitConverter.GetBytes((long)content.Length));
            input.AddRange(BitConverter.GetBytes(0));    // even: the content's own chunk size
            input.Add((byte)(proof.Length * 2));          // even: the content's own size; count in the upper bits
            foreach (var h in proof) input.AddRange(h.ToArray());
            input.AddRange(content.AsSpan((int)offset, length).ToArray());
            yield return [.. input];
        }
    }

    /// <summary>
    /// What a node serving state sync answers, from a chain of 9 blocks with a checkpoint every 4: an offer
    /// of the snapshot after block 8, its chunks, its tail (blocks 5 to 8) and checkpoints 1 and 2 as
    /// blocks 5 and 9 recorded them, signed by the validator.
    /// </summary>
    private static IEnumerable<SnapshotSyncMessage> SnapshotSyncMessages()
    {
        ulong interval = SnapshotSyncTargets.CheckpointInterval;
        var chain = new FuzzChain(interval);
        var processor = chain.Processor;
        SnapshotManifest? manifest = null;
        SnapshotTail? tail = null;
        var chunks = new List<byte[]>();
        for (ulong height = 1; height <= 2 * interval + 1; height++)
        {
            var block = Produce(chain).Block;
            if (height != 2 * interval) continue;
            manifest = SnapshotWriter.Write(chain.Store.Iterate(DbColumn.StateValues), FuzzChain.ChainId, height, block.Hash, block.StateRoot,
                (_, bytes) => chunks.Add(bytes.ToArray()), chunkBytes: 256);
            tail = SnapshotTails.Read(processor.Blocks, height, interval);
        }
        var id = ByteString.CopyFrom(SnapshotFormat.Id(manifest!).ToArray());
        yield return new SnapshotSyncMessage
        {
            Offers = new SnapshotOffers { Offers = { new SnapshotOffer { Manifest = manifest!.ToByteString(), TailBytes = (ulong)tail!.CalculateSize() } }, LatestCheckpoint = 2 },
        };
        var checkpoints = new CheckpointsResponse { LatestCheckpoint = 2 };
        for (ulong number = 1; number <= 2; number++)
            checkpoints.Records.Add(CheckpointRecord.Parser.ParseFrom(processor.Tree.Get(StateKeys.Checkpoint(number))));
        yield return new SnapshotSyncMessage { Checkpoints = checkpoints };
        var tailBytes = tail.ToByteString();
        yield return new SnapshotSyncMessage { TailPart = new SnapshotTailPart { SnapshotId = id, Total = (ulong)tailBytes.Length, Data = tailBytes } };
        for (int i = 0; i < chunks.Count; i++)
            yield return new SnapshotSyncMessage { Chunk = new SnapshotChunk { SnapshotId = id, Index = (uint)i, Data = ByteString.CopyFrom(chunks[i]) } };
    }

    /// <summary>Proposes an empty block on the head, precommits it as the only validator (signing the checkpoint it ends, if any) and commits it.</summary>
    private static ExecutedBlock Produce(FuzzChain chain)
    {
        var processor = chain.Processor;
        var head = processor.Head;
        var lastCommit = head.Height == 0 ? null : processor.Blocks.GetCommit(head.Height);
        var executed = processor.Propose(FuzzChain.Validator.Address, head.TimeUnixMs + 1000, [], lastCommit);
        var block = executed.Block;
        var key = FuzzChain.Validator;
        var signature = new CommitSignature
        {
            Validator = ByteString.CopyFrom(key.Address.ToArray()),
            Signature = ByteString.CopyFrom(key.Sign(VoteDigest.Compute(FuzzChain.ChainId, VoteType.Precommit, block.Height, 0, block.Hash))),
        };
        if (processor.CheckpointOf(executed) is { } checkpoint) signature.CheckpointSignature = ByteString.CopyFrom(key.Sign(checkpoint.Digest()));
        processor.Commit(executed, new Commit { Height = block.Height, BlockHash = ByteString.CopyFrom(block.Hash.ToArray()), Signatures = { signature } });
        return executed;
    }

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "iExecChain.sln"))) return Path.Combine(dir.FullName, relative);
        throw new InvalidOperationException("run from inside the repository");
    }
}
