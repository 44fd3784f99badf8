using System.Text.Json;
using IExecChain.Core.Primitives;

namespace IExecChain.Node.Cli;

/// <summary>
/// `iexchain run --config FILE`: the operator settings of one node as JSON (docs/node-config.md).
/// Unknown fields and wrong types are refused with the field's name; paths are relative to the file.
/// </summary>
public sealed class NodeConfigFile
{
    public string? Data { get; init; }
    public string? Key { get; init; }
    public string? PasswordFile { get; init; }
    public string? Rpc { get; init; }
    public string? P2P { get; init; }
    public string[]? Peers { get; init; }
    public string[]? RpcAllowedHosts { get; init; }
    /// <summary>
    /// Origins of web pages, other than the node's own, whose WebSocket upgrades the RPC accepts, such as
    /// "https://explorer.example.org" for the explorer behind a TLS reverse proxy; "*" accepts any.
    /// </summary>
    public string[]? RpcAllowedOrigins { get; init; }
    /// <summary>"explorer": false stops the node serving the web explorer on its RPC port (default true).</summary>
    public bool? Explorer { get; init; }
    public Rpc.Chain.ContentUploadOptions? ContentUploads { get; init; }
    public State.TxPool.AdmissionOptions? Admission { get; init; }

    public Snapshots.SnapshotOptions? Snapshots { get; init; }

    public ulong? RetainBlocks { get; init; }
    public StateSyncSettings? StateSync { get; init; }
    public string? EthRpc { get; init; }
    public LogSettings? Logging { get; init; }

    private static readonly string[] Fields = ["data", "key", "passwordFile", "rpc", "p2p", "peers", "rpcAllowedHosts", "rpcAllowedOrigins", "explorer", "contentUploads", "admission", "ethRpc", "logging", "snapshots", "retainBlocks", "stateSync"];
    private static readonly string[] StateSyncFields = ["enabled", "trustCheckpoint", "trustAnchor", "trustOldRoot"];
    private static readonly string[] LoggingFields = ["format", "levels"];
    private static readonly string[] AdmissionFields = ["targetQueueMs", "minBudget", "minRetryAfterMs"];
    private static readonly string[] SnapshotFields = ["everyCheckpoints", "keep", "chunkBytes", "writerShare"];
    private static readonly string[] UploadFields = ["maxContentBytes", "maxBytesPerAccount", "maxBytesTotal", "windowSeconds", "uploaders"];

    public static NodeConfigFile Load(string path)
    {
        if (!File.Exists(path)) throw new CliException($"--config: file '{path}' does not exist");
        return Parse(File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>The settings in <paramref name="json"/>, read from <paramref name="path"/>; relative paths resolve against <paramref name="baseDir"/>.</summary>
    public static NodeConfigFile Parse(string json, string path, string baseDir)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new CliException($"--config: '{path}' is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (JsonText.FindUnreadable(root, "$") is { } bad) throw new CliException($"--config: {JsonText.Problem(bad)}");
            if (root.ValueKind != JsonValueKind.Object) throw new CliException($"--config: '{path}' must hold a JSON object");
            CheckNames(root, "$", Fields);
            return new NodeConfigFile
            {
                Data = PathField(root, "data", baseDir),
                Key = PathField(root, "key", baseDir),
                PasswordFile = PathField(root, "passwordFile", baseDir),
                Rpc = EndpointField(root, "rpc"),
                P2P = EndpointField(root, "p2p"),
                Peers = root.TryGetProperty("peers", out var peers) ? PeerList(peers) : null,
                RpcAllowedHosts = root.TryGetProperty("rpcAllowedHosts", out var hosts) ? StringList(hosts, "rpcAllowedHosts") : null,
                RpcAllowedOrigins = root.TryGetProperty("rpcAllowedOrigins", out var origins) ? OriginList(origins) : null,
                Explorer = root.TryGetProperty("explorer", out var explorer)
                    ? explorer.ValueKind is JsonValueKind.True or JsonValueKind.False ? explorer.GetBoolean() : throw new CliException("--config: $.explorer: must be true or false")
                    : null,
                ContentUploads = root.TryGetProperty("contentUploads", out var uploads) ? Uploads(uploads) : null,
                Admission = root.TryGetProperty("admission", out var admission) ? AdmissionSettings(admission) : null,
                EthRpc = StringField(root, "ethRpc"),
                Logging = root.TryGetProperty("logging", out var logging) ? LoggingSettings(logging) : null,
                Snapshots = root.TryGetProperty("snapshots", out var snapshots) ? SnapshotSettings(snapshots) : null,
                RetainBlocks = root.TryGetProperty("retainBlocks", out var retain)
                    ? retain.ValueKind == JsonValueKind.Number && retain.TryGetUInt64(out ulong blocks) && blocks > 0 ? blocks : throw new CliException("--config: $.retainBlocks: must be a positive integer")
                    : null,
                StateSync = root.TryGetProperty("stateSync", out var sync) ? StateSyncSection(sync) : null,
            };
        }
    }

    /// <summary>
    /// "stateSync": { enabled, trustCheckpoint "N@0xDIGEST" | trustAnchor "0xADDRESS", trustOldRoot }: what `run
    /// --state-sync --trust-…` says, kept in the file so a service definition need not carry it. The trust
    /// root's form is checked here; which options go together is checked with the command line's.
    /// </summary>
    private static StateSyncSettings StateSyncSection(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new CliException("--config: $.stateSync: must be an object");
        CheckNames(value, "$.stateSync", StateSyncFields);
        bool Flag(string name) => !value.TryGetProperty(name, out var flag) ? false
            : flag.ValueKind is JsonValueKind.True or JsonValueKind.False ? flag.GetBoolean()
            : throw new CliException($"--config: $.stateSync.{name}: must be true or false");
        var checkpoint = StringField(value, "trustCheckpoint", "$.stateSync");
        if (checkpoint is not null && !global::IExecChain.Node.StateSync.TrustRoot.TryParseCheckpoint(checkpoint, out _, out var error))
            throw new CliException($"--config: $.stateSync.trustCheckpoint: {error}");
        var anchor = StringField(value, "trustAnchor", "$.stateSync");
        if (anchor is not null && !Address.TryParse(anchor, out _, out var addressError))
            throw new CliException($"--config: $.stateSync.trustAnchor: {addressError}");
        if (checkpoint is not null && anchor is not null)
            throw new CliException("--config: $.stateSync: give one trust root, trustCheckpoint or trustAnchor, not both");
        return new StateSyncSettings(Flag("enabled"), checkpoint, anchor, Flag("trustOldRoot"));
    }

    private static string? StringField(JsonElement root, string name, string section = "$")
    {
        if (!root.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String) throw new CliException($"--config: {section}.{name}: must be a string, got {value.ValueKind.ToString().ToLowerInvariant()}");
        return value.GetString();
    }

    /// <summary>
    /// Refuses a name this section does not know and a name given twice: JSON allows both, and a
    /// reader that kept one of two "rpc" values would leave the operator guessing which.
    /// </summary>
    private static void CheckNames(JsonElement section, string path, string[] known)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in section.EnumerateObject())
        {
            if (Array.IndexOf(known, property.Name) < 0)
                throw new CliException($"--config: {path}.{property.Name}: unknown field (known: {string.Join(", ", known)})");
            if (!seen.Add(property.Name)) throw new CliException($"--config: {path}.{property.Name}: given twice");
        }
    }

    /// <summary>"host:port", checked here so the error names the file's field rather than --rpc or --p2p.</summary>
    private static string? EndpointField(JsonElement root, string name)
    {
        if (StringField(root, name) is not { } text) return null;
        return NodeOptions.TryParseEndpoint(text, out _, out _, out var error) ? text : throw new CliException($"--config: $.{name}: {error}");
    }

    private static string? PathField(JsonElement root, string name, string baseDir)
    {
        if (StringField(root, name) is not { } p) return null;
        // Path.GetFullPath throws on a NUL (found by fuzzing); the operator gets the field's name instead.
        if (p.Length == 0 || p.Contains('\0')) throw new CliException($"--config: $.{name}: must be a non-empty path without NUL characters");
        return Path.GetFullPath(p, baseDir);
    }

    /// <summary>
    /// "*" or origins: scheme://host[:port], http(s) only, nothing after the authority. Each is kept as a
    /// browser writes it in the Origin header (lowercase, no default port, no trailing slash), which is
    /// what the RPC server compares it with.
    /// </summary>
    private static string[] OriginList(JsonElement value)
    {
        string[] list = StringList(value, "rpcAllowedOrigins");
        for (int i = 0; i < list.Length; i++)
        {
            string text = list[i];
            if (text == "*") continue;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0
                || uri.PathAndQuery != "/" || uri.Fragment.Length > 0 || text.Contains('?') || text.Contains('#'))
                throw new CliException($"--config: $.rpcAllowedOrigins[{i}]: '{text}' is not an origin such as https://explorer.example.org (scheme, host and port only) or \"*\"");
            list[i] = uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
        }
        return list;
    }

    private static string[] StringList(JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.Array) throw new CliException($"--config: $.{name}: must be an array of strings");
        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                throw new CliException($"--config: $.{name}[{list.Count}]: must be a non-empty string");
            list.Add(item.GetString()!);
        }
        return [.. list];
    }

    /// <summary>"contentUploads": { maxContentBytes, maxBytesPerAccount, maxBytesTotal, windowSeconds, uploaders: ["0x..."] }; absent fields keep their defaults.</summary>
    private static Rpc.Chain.ContentUploadOptions Uploads(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new CliException("--config: $.contentUploads: must be an object");
        CheckNames(value, "$.contentUploads", UploadFields);
        var options = new Rpc.Chain.ContentUploadOptions();
        if (value.TryGetProperty("maxContentBytes", out var content)) options.MaxContentBytes = NonNegative(content, "maxContentBytes");
        if (value.TryGetProperty("maxBytesPerAccount", out var perAccount)) options.MaxBytesPerAccount = NonNegative(perAccount, "maxBytesPerAccount");
        if (value.TryGetProperty("maxBytesTotal", out var total)) options.MaxBytesTotal = NonNegative(total, "maxBytesTotal");
        if (value.TryGetProperty("windowSeconds", out var window))
        {
            long seconds = NonNegative(window, "windowSeconds");
            if (seconds == 0) throw new CliException("--config: $.contentUploads.windowSeconds: must be positive");
            options.Window = TimeSpan.FromSeconds(seconds);
        }
        if (value.TryGetProperty("uploaders", out var uploaders))
        {
            var addresses = new List<Core.Primitives.Address>();
            foreach (string text in StringList(uploaders, "contentUploads.uploaders"))
                addresses.Add(Core.Primitives.Address.TryParse(text, out var address) ? address : throw new CliException($"--config: $.contentUploads.uploaders[{addresses.Count}]: '{text}' is not a 20-byte 0x-hex address"));
            options.Uploaders = addresses;
        }
        return options;
    }

    private static long NonNegative(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) && number >= 0
            ? number
            : throw new CliException($"--config: $.contentUploads.{name}: must be a non-negative integer");

    /// <summary>"admission": { targetQueueMs, minBudget, minRetryAfterMs }; absent fields keep their defaults.</summary>
    private static State.TxPool.AdmissionOptions AdmissionSettings(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new CliException("--config: $.admission: must be an object");
        var options = new State.TxPool.AdmissionOptions();
        CheckNames(value, "$.admission", AdmissionFields);
        foreach (var property in value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int number) || number < 1)
                throw new CliException($"--config: $.admission.{property.Name}: must be a positive integer");
            switch (property.Name)
            {
                case "targetQueueMs": options.TargetQueueMs = number; break;
                case "minBudget": options.MinBudget = number; break;
                default: options.MinRetryAfterMs = number; break;
            }
        }
        if (options.Validate() is [var first, ..]) throw new CliException($"--config: $.{first}");
        return options;
    }

    /// <summary>The smallest snapshot chunk a node config may ask for: smaller only multiplies requests.</summary>
    public const int MinChunkBytes = 4096;

    /// <summary>"snapshots": { everyCheckpoints (0 = none), keep (at least 1), chunkBytes (4 KiB to 16 MiB), writerShare ((0, 1]) }; absent fields keep their defaults.</summary>
    private static Snapshots.SnapshotOptions SnapshotSettings(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new CliException("--config: $.snapshots: must be an object");
        CheckNames(value, "$.snapshots", SnapshotFields);
        var options = new Snapshots.SnapshotOptions();
        foreach (var property in value.EnumerateObject())
        {
            if (property.Name == "chunkBytes")
            {
                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int bytes) || bytes < MinChunkBytes || bytes > State.Snapshots.SnapshotFormat.MaxChunkBytes)
                    throw new CliException($"--config: $.snapshots.chunkBytes: must be an integer from {MinChunkBytes} to {State.Snapshots.SnapshotFormat.MaxChunkBytes}");
                options = options with { ChunkBytes = bytes };
                continue;
            }
            if (property.Name == "writerShare")
            {
                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out double share) || !(share > 0 && share <= 1))
                    throw new CliException("--config: $.snapshots.writerShare: must be a number above 0 and at most 1 (the snapshot writer's share of one core)");
                options = options with { WriterShare = share };
                continue;
            }
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int number) || number < (property.Name == "keep" ? 1 : 0))
                throw new CliException($"--config: $.snapshots.{property.Name}: must be {(property.Name == "keep" ? "a positive" : "a non-negative")} integer");
            options = property.Name == "keep" ? options with { Keep = number } : options with { EveryCheckpoints = (ulong)number };
        }
        return options;
    }

    /// <summary>"logging": { format: "text" | "json", levels: { "Category.Prefix": "Warning", ... } }.</summary>
    private static LogSettings LoggingSettings(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new CliException("--config: $.logging: must be an object");
        string? format = null;
        var levels = new Dictionary<string, Microsoft.Extensions.Logging.LogLevel>(StringComparer.Ordinal);
        CheckNames(value, "$.logging", LoggingFields);
        foreach (var property in value.EnumerateObject())
        {
            if (property.Name == "format")
            {
                format = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                if (format is not ("text" or "json")) throw new CliException("--config: $.logging.format: must be \"text\" or \"json\"");
                continue;
            }
            if (property.Value.ValueKind != JsonValueKind.Object)
                throw new CliException("--config: $.logging.levels: must be an object of \"Category\": \"Level\" (e.g. \"IExecChain.Network\": \"Warning\")");
            foreach (var level in property.Value.EnumerateObject())
            {
                if (level.Name.Length == 0) throw new CliException("--config: $.logging.levels: a category must not be empty");
                if (level.Value.ValueKind != JsonValueKind.String || !LogOptions.TryParseLevel(level.Value.GetString()!, out var parsed))
                    throw new CliException($"--config: $.logging.levels.{level.Name}: must be one of {LogOptions.LevelNames}");
                if (!levels.TryAdd(level.Name, parsed)) throw new CliException($"--config: $.logging.levels.{level.Name}: given twice");
            }
        }
        return new LogSettings(format, levels);
    }

    private static string[] PeerList(JsonElement peers)
    {
        if (peers.ValueKind != JsonValueKind.Array) throw new CliException("--config: $.peers: must be an array of \"[0xADDRESS@]host:port\" strings");
        var list = new List<string>();
        int i = 0;
        foreach (var item in peers.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw new CliException($"--config: $.peers[{i}]: must be a string");
            if (!NodeOptions.TryParsePeer(item.GetString()!, out _, out var error)) throw new CliException($"--config: $.peers[{i}]: {error}");
            list.Add(item.GetString()!);
            i++;
        }
        return [.. list];
    }
}

/// <summary>The node config's "stateSync" section (docs/node-config.md): the command line's <c>--state-sync</c> and <c>--trust-*</c>.</summary>
public sealed record StateSyncSettings(bool Enabled, string? TrustCheckpoint, string? TrustAnchor, bool TrustOldRoot);
