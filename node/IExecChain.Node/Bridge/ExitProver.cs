using IExecChain.Core.Checkpoints;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Node.Cli;
using IExecChain.State.Chain;
using IExecChain.State.Checkpoints;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.Storage;

namespace IExecChain.Node.Bridge;

/// <summary>
/// What an exit or a refund needs when the sidechain has stopped: an account's record in the state of
/// the frozen checkpoint, or that state's BridgeTotals record (or its absence), with its proof into
/// that checkpoint's state root. The node keeps only its current
/// state tree, so the state at the checkpoint is rebuilt by replaying the node's own blocks (each
/// checked as when it was first executed) into a scratch database, and its root must equal the
/// checkpoint's. The node must be stopped: the replay reads its database.
/// </summary>
public static class ExitProver
{
    /// <summary>A state value and its proof.</summary>
    public sealed record ProvenValue<T>(T Record, byte[] Value, IReadOnlyList<Hash256> Siblings);

    /// <summary>What an exit pays an account: its AccountRecord (balance and escrow) and its StakeRecord, each when the state has one.</summary>
    public sealed record AccountProof(Address Account, ProvenValue<AccountRecord>? Balance, ProvenValue<StakeRecord>? Stakes);

    /// <summary>
    /// The frozen state's bridge totals: the record (empty when absent: no deposit was ever credited),
    /// its proof, and the Ethereum block of the last deposit it credited (0 for none): deposits it did
    /// not credit were logged in that block or later.
    /// </summary>
    public sealed record TotalsProof(BridgeTotals Totals, StateProof Proof, ulong LastCreditedBlock);

    public sealed record Proven(Checkpoint Checkpoint, List<AccountProof> Accounts, TotalsProof Totals);

    public static Proven Prove(string dataDir, ulong checkpointNumber, IReadOnlyList<Address> accounts, Action<string> progress)
    {
        var specPath = Path.Combine(dataDir, NodeOptions.ChainSpecFileName);
        if (!File.Exists(specPath)) throw new CliException($"--data: {dataDir} holds no node ({NodeOptions.ChainSpecFileName} is missing)");
        var spec = ChainSpecLoader.LoadFile(specPath);
        using var source = Cli.StoppedDatabase.Open(dataDir, "an exit replays its blocks; or copy its data directory");
        var sourceTree = new StateTree(source);
        var recorded = sourceTree.Get(StateKeys.Checkpoint(checkpointNumber))
            ?? throw new CliException($"the node in {dataDir} has no checkpoint {checkpointNumber}: it stopped before recording it");
        var checkpoint = CheckpointLedger.ToSigned(spec.ChainId, CheckpointRecord.Parser.ParseFrom(recorded)).Checkpoint;
        var blocks = new BlockStore(source, spec.ChainId, spec.Parameters.MaxTransactionBytes);

        var scratchDir = Directory.CreateTempSubdirectory("iexchain-exit-");
        try
        {
            using var scratch = new RocksDbStore(scratchDir.FullName);
            var processor = new BlockProcessor(spec, scratch, new StateTree(scratch), new BlockStore(scratch, spec.ChainId, spec.Parameters.MaxTransactionBytes), new TransactionVerifier());
            for (ulong height = 1; height <= checkpoint.LastHeight; height++)
            {
                var block = blocks.GetBlock(height) ?? throw new CliException($"the node in {dataDir} lacks block {height}: it cannot rebuild checkpoint {checkpointNumber}'s state");
                var commit = blocks.GetCommit(height) ?? throw new CliException($"the node in {dataDir} lacks the commit of block {height}");
                var executed = processor.Execute(block, out var error)
                    ?? throw new CliException($"replaying block {height} failed: {error} (is {dataDir} the node of this chain?)");
                processor.Commit(executed, commit);
                if (height % 1000 == 0) progress($"replayed {height} of {checkpoint.LastHeight} blocks");
            }
            if (processor.Head.StateRoot != checkpoint.StateRoot)
                throw new CliException($"the replayed state root {processor.Head.StateRoot} differs from checkpoint {checkpointNumber}'s {checkpoint.StateRoot}");
            var proofs = new List<AccountProof>();
            foreach (var account in accounts)
            {
                var balance = ProveValue(processor.Tree, StateKeys.Account(account), checkpoint.StateRoot, AccountRecord.Parser);
                var stakes = ProveValue(processor.Tree, StateKeys.Stake(account), checkpoint.StateRoot, StakeRecord.Parser);
                if (balance is null && stakes is null) throw new CliException($"{account} has no account and no stake in checkpoint {checkpointNumber}'s state: nothing to exit");
                proofs.Add(new AccountProof(account, balance, stakes));
            }
            var totals = processor.Tree.GetProof(StateKeys.BridgeTotals);
            if (!totals.Verify(checkpoint.StateRoot)) throw new InvalidOperationException("the proof of the bridge totals does not verify against the state root it came from");
            var record = totals.Value is null ? new BridgeTotals() : BridgeTotals.Parser.ParseFrom(totals.Value);
            ulong lastCreditedBlock = record.NextDepositId == 0 || processor.Tree.Get(StateKeys.Deposit(record.NextDepositId - 1)) is not { } credited
                ? 0 : CreditedDeposit.Parser.ParseFrom(credited).Deposit.EthBlockNumber;
            return new Proven(checkpoint, proofs, new TotalsProof(record, totals, lastCreditedBlock));
        }
        finally
        {
            scratchDir.Delete(recursive: true);
        }
    }

    private static ProvenValue<T>? ProveValue<T>(StateTree tree, Hash256 key, Hash256 root, Google.Protobuf.MessageParser<T> parser) where T : Google.Protobuf.IMessage<T>
    {
        var proof = tree.GetProof(key);
        if (proof.Value is null) return null;
        if (!proof.Verify(root)) throw new InvalidOperationException($"the proof of state key {key} does not verify against the state root it came from");
        return new ProvenValue<T>(parser.ParseFrom(proof.Value), proof.Value, proof.Siblings);
    }
}
