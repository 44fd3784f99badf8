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

    private static readonly string[] Fields = ["data", "key", "passwordFile", "rpc", "p2p", "peers"];

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
            if (JsonStrings.FindInvalid(root) is { } bad) throw new CliException($"--config: {JsonStrings.Problem(bad)}");
            if (root.ValueKind != JsonValueKind.Object) throw new CliException($"--config: '{path}' must hold a JSON object");
            foreach (var property in root.EnumerateObject())
                if (Array.IndexOf(Fields, property.Name) < 0)
                    throw new CliException($"--config: $.{property.Name}: unknown field (known: {string.Join(", ", Fields)})");
            return new NodeConfigFile
            {
                Data = PathField(root, "data", baseDir),
                Key = PathField(root, "key", baseDir),
                PasswordFile = PathField(root, "passwordFile", baseDir),
                Rpc = StringField(root, "rpc"),
                P2P = StringField(root, "p2p"),
                Peers = root.TryGetProperty("peers", out var peers) ? PeerList(peers) : null,
            };
        }
    }

    private static string? StringField(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String) throw new CliException($"--config: $.{name}: must be a string, got {value.ValueKind.ToString().ToLowerInvariant()}");
        return value.GetString();
    }

    private static string? PathField(JsonElement root, string name, string baseDir)
    {
        if (StringField(root, name) is not { } p) return null;
        // Path.GetFullPath throws on a NUL (found by fuzzing); the operator gets the field's name instead.
        if (p.Length == 0 || p.Contains('\0')) throw new CliException($"--config: $.{name}: must be a non-empty path without NUL characters");
        return Path.GetFullPath(p, baseDir);
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
