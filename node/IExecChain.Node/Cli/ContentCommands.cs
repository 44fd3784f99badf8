using System.CommandLine;
using System.Globalization;
using IExecChain.Core.Content;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts.Client;
using IExecChain.Rpc;
using IExecChain.Rpc.OpenRpc;
using IExecChain.Rpc.Chain;
using IExecChain.Worker.Content;
using IExecChain.Worker.Wasm;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Cli;

/// <summary>
/// `content upload FILE`: a resumable, chunked upload to a node (run it again after an interruption
/// and it sends only what the node lacks); `content serve DIR`: a provider serves its own files to
/// workers (iex_getChunk) and registers them with `--content-root ROOT --size N --endpoint URL`.
/// Also the upload and endpoint checks `app register` and `dataset register` use.
/// </summary>
public static class ContentCommands
{
    public static Command Build()
    {
        var content = new Command("content", "Content for apps and datasets: upload it to a node, or serve it yourself");
        content.Subcommands.Add(BuildUpload());
        content.Subcommands.Add(BuildServe());
        content.Subcommands.Add(BuildFetch());
        return content;
    }

    public static Option<int> ChunkSizeOption() => new("--chunk-size")
    {
        Description = $"Bytes per chunk, {ContentChunking.MinChunkSize}..{ContentChunking.MaxChunkSize} (part of the content root; workers fetch one chunk per request)",
        DefaultValueFactory = _ => ContentMerkle.DefaultChunkSize,
    };

    private static Command BuildUpload()
    {
        var file = new Argument<string>("file") { Description = "The file to upload" };
        var wasmApp = new Option<bool>("--wasm-app") { Description = "The file is a WebAssembly app: checked here and by the node (imports, _start, memory)" };
        var chunkSize = ChunkSizeOption();
        var upload = new Command("upload", "Upload a file to a node in chunks, resuming an interrupted upload; prints its content root and size") { file, wasmApp, chunkSize };
        var common = TxCommands.CommonOptions.AddTo(upload);
        upload.SetAction(r => Cli.RunAsync(async () =>
        {
            var key = KeyFiles.Load(r.GetValue(common.Key)!, r.GetValue(common.PasswordFile));
            var (root, size) = await UploadAsync(r.GetValue(common.Rpc)!, r.GetValue(file)!, "file", key, r.GetValue(wasmApp), r.GetValue(chunkSize));
            Console.WriteLine($"root {root}");
            Console.WriteLine($"size {size}");
        }));
        return upload;
    }

    private static Command BuildServe()
    {
        var directory = new Argument<string>("dir") { Description = "Directory whose files are served (not its subdirectories or hidden files)" };
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to serve on; workers must reach it", DefaultValueFactory = _ => "127.0.0.1:8650" };
        var chunkSize = ChunkSizeOption();
        var serve = new Command("serve", "Serve the files of a directory to workers (iex_getChunk) and print what to register for each") { directory, listen, chunkSize };
        serve.SetAction(r => Cli.RunAsync(async () =>
        {
            string dir = r.GetValue(directory)!;
            if (!Directory.Exists(dir)) throw new CliException($"dir: '{dir}' is not a directory");
            int chunk = r.GetValue(chunkSize);
            if (ContentChunking.Problem(long.MaxValue, chunk) is { } problem) throw new CliException($"--chunk-size: {problem}");
            var (host, port) = ParseListen(r.GetValue(listen)!);
            var source = new DirectoryContentSource(dir, chunk);
            if (!source.Files.Any()) throw new CliException($"dir: '{dir}' holds no non-empty files to serve");

            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            var registry = new RpcMethodRegistry();
            ContentRpcMethods.RegisterGetChunk(registry, source);
            RpcDiscovery.Register(registry, "iExecChain content server", "Serves the chunks of local files (docs/content.md).", RpcCatalog.FullNode);
            var dispatcher = new JsonRpcDispatcher(registry, loggerFactory.CreateLogger<JsonRpcDispatcher>());
            await using var server = new RpcServer(new RpcServerOptions { Host = host, Port = port, AllowedHosts = ["*"] }, dispatcher, loggerFactory);
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            await server.StartAsync(stop.Token);
            Console.WriteLine($"serving {source.Files.Count()} file(s) at {server.Endpoint} (Ctrl+C to stop)");
            foreach (var (path, info) in source.Files)
                Console.WriteLine($"{Path.GetFileName(path)}: --content-root {info.Root} --size {info.Size} --endpoint {server.Endpoint}");
            Console.Out.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }));
        return serve;
    }

    private static Command BuildFetch()
    {
        var endpoint = new Option<string>("--endpoint") { Description = "JSON-RPC URL of the node serving the content (an app's or dataset's endpoint)", Required = true };
        var root = new Option<string>("--content-root") { Description = "Content root (0x + 64 hex), as registered", Required = true };
        var size = new Option<ulong>("--size") { Description = "Size in bytes, as registered", Required = true };
        var output = new Option<string>("--out") { Description = "File to write; written only once every chunk is verified", Required = true };
        var fetch = new Command("fetch", "Download content by its root and size, verifying every chunk against the root, with progress") { endpoint, root, size, output };
        fetch.SetAction(r => Cli.RunAsync(async () =>
        {
            if (!Hash256.TryParse(r.GetValue(root)!, out var contentRoot)) throw new CliException($"--content-root: '{r.GetValue(root)}' is not a 32-byte 0x-hex hash");
            long length = (long)Math.Min(r.GetValue(size), long.MaxValue);
            if (length == 0) throw new CliException("--size: must be positive");
            Uri uri;
            try
            {
                uri = JsonRpcClient.ParseEndpoint(r.GetValue(endpoint)!);
            }
            catch (ArgumentException e)
            {
                throw new CliException($"--endpoint: {e.Message}");
            }
            string path = Path.GetFullPath(r.GetValue(output)!);
            if (File.Exists(path)) throw new CliException($"--out: '{path}' exists; nothing was fetched");
            string partial = path + ".partial";
            using var fetcher = new ContentFetcher();
            try
            {
                await using (var file = File.Create(partial))
                    await fetcher.FetchToAsync(uri, contentRoot, length, file, new ProgressLine($"fetching {contentRoot.ToString()[..10]}…", length, ProgressLine.Bytes));
                File.Move(partial, path);
            }
            catch (ContentFetchException e)
            {
                File.Delete(partial);
                throw new CliException($"{e.Message}; nothing was written");
            }
            catch (IOException e)
            {
                File.Delete(partial);
                throw new CliException($"--out: {e.Message}");
            }
            Console.WriteLine($"{path}: {length} bytes, every chunk verified against {contentRoot}");
        }));
        return fetch;
    }

    private static (string Host, int Port) ParseListen(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new CliException($"--listen: '{text}' is not HOST:PORT (port 1..65535)");
        return (text[..colon].Trim('[', ']'), port);
    }

    /// <summary>
    /// Uploads a file to the node's content store in chunks (iex_beginUpload, iex_putChunk), signed
    /// by <paramref name="uploader"/> (the node charges its quota), with progress on stderr; a file
    /// partly uploaded before is resumed. A WebAssembly app is checked here first.
    /// </summary>
    public static async Task<(Hash256 Root, ulong Size)> UploadAsync(string rpc, string path, string option, PrivateKey uploader, bool wasmApp = false,
        int chunkSize = ContentMerkle.DefaultChunkSize)
    {
        if (!File.Exists(path)) throw new CliException($"{option}: '{path}' does not exist");
        long length = new FileInfo(path).Length;
        if (length == 0) throw new CliException($"{option}: '{path}' is empty");
        if (ContentChunking.Problem(length, chunkSize) is { } chunking) throw new CliException($"--chunk-size: {chunking}");
        using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(rpc), TimeSpan.FromMinutes(2));
        if (wasmApp) await CheckWasmAppAsync(client, await File.ReadAllBytesAsync(path), $"{option}: '{path}'");
        var info = await ContentUpload.UploadFileAsync(client, uploader, path, chunkSize, wasmApp ? ContentRpcMethods.WasmAppKind : null, new UploadProgressDisplay(Path.GetFileName(path)));
        return (info.Root, (ulong)info.Size);
    }

    /// <summary>
    /// Checks content a provider serves itself before it is registered: the endpoint serves chunk 0 of
    /// (root, size) with a valid proof, and a WebAssembly app, fetched whole and verified, passes the app checks.
    /// </summary>
    public static async Task CheckServedAsync(string rpc, string endpoint, string rootText, ulong size, bool wasmApp)
    {
        if (!Hash256.TryParse(rootText, out var root)) throw new CliException($"--content-root: '{rootText}' is not a 32-byte 0x-hex hash");
        if (size == 0) throw new CliException("--size: must be positive");
        Uri uri;
        try
        {
            uri = JsonRpcClient.ParseEndpoint(endpoint);
        }
        catch (ArgumentException e)
        {
            throw new CliException($"--endpoint: {e.Message}");
        }
        using var fetcher = new ContentFetcher(new ContentFetcherOptions { MaxAttempts = 2 });
        try
        {
            if (!wasmApp)
            {
                using var served = new NodeRpcClient(uri, TimeSpan.FromSeconds(30));
                var chunk = await served.GetChunkAsync(root.ToString(), 0);
                long servedSize = (long)chunk.Size.Value;
                int chunkSize = (int)chunk.ChunkSize.Value;
                byte[] data = Hex.Decode(chunk.Data);
                var proof = chunk.Proof.Select(h => new Hash256(Hex.Decode(h))).ToArray();
                if (servedSize != (long)size) throw new CliException($"--size: {endpoint} serves {root} with size {servedSize}, not {size}");
                if (ContentMerkle.Check(root, (long)size, chunkSize, 0, data, proof) is { } problem) throw new CliException($"--endpoint: {endpoint} serves a chunk that does not verify: {problem}");
                return;
            }
            byte[] module = await fetcher.FetchAsync(uri, root, (long)size);
            using var client = new JsonRpcClient(JsonRpcClient.ParseEndpoint(rpc));
            await CheckWasmAppAsync(client, module, $"--content-root {root} (served by {endpoint})");
        }
        catch (Exception e) when (e is JsonRpcClientException or ContentFetchException)
        {
            throw new CliException($"--endpoint: {endpoint} does not serve {root} of {size} bytes: {e.Message}; nothing was registered");
        }
    }

    private static async Task CheckWasmAppAsync(JsonRpcClient client, byte[] module, string what)
    {
        // The largest category bounds the memory a module may need at start; the chain says which that is.
        ulong maxMemoryMb = (await new NodeRpcClient(client).GetCategoriesAsync()).Max(c => c.MaxMemoryMb.Value);
        if (WasmAppValidator.Problem(module, (long)maxMemoryMb * 1024 * 1024) is { } problem)
            throw new CliException($"{what} cannot run as an app: {problem}; nothing was uploaded or registered");
    }

    /// <summary>Upload progress on stderr: one line rewritten in place on a terminal, a line every few seconds otherwise.</summary>
    private sealed class UploadProgressDisplay(string name) : IProgress<UploadProgress>
    {
        private TimeSpan? _lastPrinted;
        private bool _done;

        public void Report(UploadProgress value)
        {
            if (_done) return;
            bool done = _done = value.HeldBytes >= value.TotalBytes;
            bool terminal = !Console.IsErrorRedirected;
            if (!done && _lastPrinted is { } last && value.Elapsed - last < (terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5))) return;
            _lastPrinted = value.Elapsed;
            double sent = value.HeldBytes - value.ResumedBytes;
            double rate = sent / Math.Max(value.Elapsed.TotalSeconds, 0.001);
            string eta = done ? "done" : rate > 0 ? $"about {(value.TotalBytes - value.HeldBytes) / rate:0} s left" : "";
            string resumed = value.ResumedBytes > 0 ? $", {Mib(value.ResumedBytes)} held before" : "";
            string line = $"uploading {name}: {Mib(value.HeldBytes)} of {Mib(value.TotalBytes)} ({100.0 * value.HeldBytes / Math.Max(1, value.TotalBytes):0}%), {Mib((long)rate)}/s{resumed}, {eta}";
            if (terminal) Console.Error.Write("\r" + line.PadRight(100) + (done ? "\n" : ""));
            else Console.Error.WriteLine(line);
        }

        private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
    }
}
