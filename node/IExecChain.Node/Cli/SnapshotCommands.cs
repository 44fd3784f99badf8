using System.CommandLine;
using System.Globalization;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Node.Snapshots;
using IExecChain.State.Chain;
using IExecChain.State.Merkle;
using IExecChain.State.Snapshots;
using IExecChain.Storage;

namespace IExecChain.Node.Cli;

/// <summary>`iexchain snapshot create|list|export|import`: state snapshots of a stopped node (docs/state-sync.md).</summary>
public static class SnapshotCommands
{
    public static Command Build()
    {
        var snapshot = new Command("snapshot", "State snapshots: make one from a stopped node, list them, copy one out, start a node from one");
        snapshot.Subcommands.Add(BuildCreate());
        snapshot.Subcommands.Add(BuildList());
        snapshot.Subcommands.Add(BuildExport());
        snapshot.Subcommands.Add(BuildImport());
        return snapshot;
    }

    private static Option<string> Data(string description) => new("--data") { Description = description, Required = true };

    private static Command BuildCreate()
    {
        var data = Data("Data directory of a stopped node");
        var chunk = new Option<int?>("--chunk-size") { Description = $"Target chunk size in bytes, 4,096 to {SnapshotFormat.MaxChunkBytes:N0} (default {SnapshotFormat.DefaultChunkBytes:N0})" };
        var create = new Command("create", "Snapshot the state at the stopped node's head into <data>/snapshots/<height>") { data, chunk };
        create.SetAction(r => Cli.Run(() =>
        {
            string dataDir = r.GetValue(data)!;
            int chunkBytes = r.GetValue(chunk) ?? SnapshotFormat.DefaultChunkBytes;
            if (chunkBytes is < 4096 or > SnapshotFormat.MaxChunkBytes)
                throw new CliException($"--chunk-size: {chunkBytes} is outside 4,096 to {SnapshotFormat.MaxChunkBytes:N0} bytes");
            var (spec, specPath) = LoadSpec(dataDir);
            using var store = StoppedDatabase.Open(dataDir);
            var tree = new StateTree(store);
            var blocks = new BlockStore(store, spec.ChainId, spec.Parameters.MaxTransactionBytes);
            var head = blocks.ReadHead() ?? throw new CliException($"--data: the database at {dataDir} has no head block");
            var target = SnapshotFiles.DirectoryFor(dataDir, head.Height);
            if (Directory.Exists(target)) throw new CliException($"a snapshot at height {head.Height} already exists: {target}");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var made = SnapshotFiles.Create(store, tree, blocks, spec, specPath, target, chunkBytes);
            Console.WriteLine($"snapshot {made.Id} at height {made.Height} (block {new Hash256(made.Manifest.BlockHash.Span)})");
            Console.WriteLine($"  {made.Manifest.Entries:N0} state entries, {made.Manifest.ChunkHashes.Count} chunk(s), {Size(made.Manifest.TotalBytes)}, in {watch.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"  {made.Directory}");
        }));
        return create;
    }

    private static Command BuildList()
    {
        var data = Data("Data directory of a node");
        var list = new Command("list", "The snapshots a node keeps") { data };
        list.SetAction(r => Cli.Run(() =>
        {
            var all = SnapshotFiles.List(r.GetValue(data)!);
            if (all.Count == 0)
            {
                Console.WriteLine("no snapshots");
                return;
            }
            Console.WriteLine("height  id                                                                  entries  chunks  size");
            foreach (var s in all)
                Console.WriteLine($"{s.Height,6}  {s.Id}  {s.Manifest.Entries,7:N0}  {s.Manifest.ChunkHashes.Count,6}  {Size(s.Manifest.TotalBytes)}");
        }));
        return list;
    }

    private static Command BuildExport()
    {
        var data = Data("Data directory of a node");
        var height = new Option<ulong?>("--height") { Description = "The snapshot's height (default: the newest)" };
        var output = new Option<string>("--out") { Description = "Directory to create with the snapshot's files", Required = true };
        var export = new Command("export", "Copy one of a node's snapshots to a directory (to move it to another machine)") { data, height, output };
        export.SetAction(r => Cli.Run(() =>
        {
            var all = SnapshotFiles.List(r.GetValue(data)!);
            var wanted = r.GetValue(height);
            var chosen = wanted is { } h
                ? all.SingleOrDefault(s => s.Height == h) ?? throw new CliException($"--height: no snapshot at height {h} (have: {Heights(all)})")
                : all.Count > 0 ? all[^1] : throw new CliException("the node keeps no snapshots: make one with `iexchain snapshot create`");
            string target = r.GetValue(output)!;
            if (Directory.Exists(target) || File.Exists(target)) throw new CliException($"--out: {target} already exists");
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(chosen.Directory)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            Console.WriteLine($"snapshot {chosen.Id} at height {chosen.Height} copied to {target}");
        }));
        return export;
    }

    private static Command BuildImport()
    {
        var source = new Argument<string>("snapshot") { Description = "Directory of a snapshot (made by `snapshot create` or `snapshot export`)" };
        var data = Data("Data directory to create for the new node");
        var trust = new Option<string?>("--trust-block") { Description = "Refuse the snapshot unless its block has this hash (0x + 64 hex digits), as read from a source you trust" };
        var import = new Command("import", "Create a node's data directory from a snapshot: its state, verified against the block it names, and the blocks to go on from") { source, data, trust };
        import.SetAction(r => Cli.Run(() =>
        {
            string dataDir = r.GetValue(data)!;
            var snapshot = SnapshotFiles.Read(r.GetValue(source)!);
            string specPath = Path.Combine(snapshot.Directory, NodeOptions.ChainSpecFileName);
            if (!File.Exists(specPath)) throw new CliException($"{snapshot.Directory} has no {NodeOptions.ChainSpecFileName}");
            var spec = ChainSpecLoader.LoadFile(specPath);
            var block = new Hash256(snapshot.Manifest.BlockHash.Span);
            if (r.GetValue(trust) is { } trusted)
            {
                if (!Hash256.TryParse(trusted, out var expected)) throw new CliException($"--trust-block: '{trusted}' is not a 32-byte 0x-hex hash");
                if (expected != block) throw new CliException($"--trust-block: the snapshot is of block {block}, not {expected}");
            }
            string database = Path.Combine(dataDir, NodeOptions.DatabaseFolderName);
            if (Directory.Exists(database)) throw new CliException($"--data: {dataDir} already holds a database; a snapshot starts a new node");
            Directory.CreateDirectory(dataDir);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Hash256 root;
            try
            {
                root = SnapshotFiles.Restore(snapshot, spec, database,
                    (done, total) => { if (done == total || done % 16 == 0) Console.Error.WriteLine($"chunk {done} of {total}"); });
            }
            catch (SnapshotRefusedException e)
            {
                throw new CliException(e.Message);
            }
            File.Copy(specPath, Path.Combine(dataDir, NodeOptions.ChainSpecFileName), overwrite: true);
            Console.WriteLine($"node created at height {snapshot.Height} (block {block}, state root {root}) from snapshot {snapshot.Id} in {watch.Elapsed.TotalSeconds:F1} s");
            if (r.GetValue(trust) is null)
                Console.WriteLine("the snapshot was checked against itself (state root, blocks, the validators' commit), not against the network: give --trust-block with a hash from a source you trust");
        }));
        return import;
    }

    private static (ChainSpec Spec, string Path) LoadSpec(string dataDir)
    {
        var path = Path.Combine(dataDir, NodeOptions.ChainSpecFileName);
        if (!File.Exists(path)) throw new CliException($"--data: {dataDir} has no {NodeOptions.ChainSpecFileName}: not a node's data directory");
        return (ChainSpecLoader.LoadFile(path), path);
    }

    private static string Heights(IReadOnlyList<SnapshotFiles.Description> all) =>
        all.Count == 0 ? "none" : string.Join(", ", all.Select(s => s.Height.ToString(CultureInfo.InvariantCulture)));

    private static string Size(ulong bytes) => bytes >= 1 << 20 ? $"{bytes / 1048576.0:F1} MiB" : $"{bytes / 1024.0:F1} KiB";
}
