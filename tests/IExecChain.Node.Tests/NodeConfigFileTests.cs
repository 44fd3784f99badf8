using IExecChain.Core.Primitives;
using IExecChain.Node.Cli;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>`iexchain run --config FILE` (docs/node-config.md) apart from "logging" (<see cref="NodeConfigLoggingTests"/>): each field read, every refusal naming its field.</summary>
public class NodeConfigFileTests
{
    private static readonly string BaseDir = Path.Combine(Path.GetTempPath(), "iexchain-config");

    private static NodeConfigFile Parse(string json) => NodeConfigFile.Parse(json, "node.json", BaseDir);

    private const string Uploader = "0x2e6a5e4758b2094dc675593989ede87fbec0f688";

    [Test]
    public void The_documented_example_is_read_field_by_field()
    {
        var file = Parse($$"""
            {
              "data": "/var/lib/iexchain",                  // made by `iexchain init`
              "key": "keys/validator.json",
              "passwordFile": "password.txt",
              "rpc": "127.0.0.1:8645",
              "p2p": "0.0.0.0:30400",
              "peers": ["{{Uploader}}@10.0.0.2:30400", "10.0.0.3:30400"],
              "rpcAllowedHosts": ["node1.example.org"],
              "rpcAllowedOrigins": ["https://explorer.example.org"],
              "explorer": false,
              "contentUploads": {"maxContentBytes": 268435456, "maxBytesPerAccount": 536870912, "maxBytesTotal": 2147483648, "windowSeconds": 3600, "uploaders": ["{{Uploader}}"]},
              "admission": {"targetQueueMs": 1000, "minBudget": 2000, "minRetryAfterMs": 200},
              "ethRpc": "http://10.0.0.9:8545"
            }
            """);
        Assert.That(file.Data, Is.EqualTo(Path.GetFullPath("/var/lib/iexchain")));
        Assert.That(file.Key, Is.EqualTo(Path.Combine(BaseDir, "keys", "validator.json")), "relative to the config file");
        Assert.That(file.PasswordFile, Is.EqualTo(Path.Combine(BaseDir, "password.txt")));
        Assert.That(file.Rpc, Is.EqualTo("127.0.0.1:8645"));
        Assert.That(file.P2P, Is.EqualTo("0.0.0.0:30400"));
        Assert.That(file.Peers, Is.EqualTo(new[] { $"{Uploader}@10.0.0.2:30400", "10.0.0.3:30400" }));
        Assert.That(file.RpcAllowedHosts, Is.EqualTo(new[] { "node1.example.org" }));
        Assert.That(file.Explorer, Is.False);
        Assert.That(file.RpcAllowedOrigins, Is.EqualTo(new[] { "https://explorer.example.org" }));
        var uploads = file.ContentUploads!;
        Assert.That((uploads.MaxContentBytes, uploads.MaxBytesPerAccount, uploads.MaxBytesTotal, uploads.Window), Is.EqualTo((268435456L, 536870912L, 2147483648L, TimeSpan.FromHours(1))));
        Assert.That(uploads.Uploaders, Is.EqualTo(new[] { Address.Parse(Uploader) }));
        Assert.That((file.Admission!.TargetQueueMs, file.Admission.MinBudget, file.Admission.MinRetryAfterMs), Is.EqualTo((1000, 2000, 200)));
        Assert.That(file.EthRpc, Is.EqualTo("http://10.0.0.9:8545"));
    }

    [TestCase("https://explorer.example.org/", "https://explorer.example.org")]
    [TestCase("HTTPS://Explorer.Example.ORG", "https://explorer.example.org")]
    [TestCase("https://explorer.example.org:443", "https://explorer.example.org")]
    [TestCase("http://10.0.0.5:8080", "http://10.0.0.5:8080")]
    [TestCase("*", "*")]
    public void An_allowed_origin_is_kept_as_a_browser_sends_it(string written, string kept) =>
        Assert.That(Parse($$"""{"rpcAllowedOrigins": ["{{written}}"]}""").RpcAllowedOrigins, Is.EqualTo(new[] { kept }));

    [Test]
    public void Every_field_is_optional()
    {
        var file = Parse("{}");
        Assert.That(new object?[] { file.Data, file.Key, file.PasswordFile, file.Rpc, file.P2P, file.Peers, file.RpcAllowedHosts, file.RpcAllowedOrigins, file.Explorer, file.ContentUploads, file.Admission, file.EthRpc, file.Logging },
            Is.All.Null, "absent fields leave the command line's options and the defaults in charge");
        var defaults = new Rpc.Chain.ContentUploadOptions();
        var uploads = Parse("""{"contentUploads": {"windowSeconds": 60}}""").ContentUploads!;
        Assert.That(uploads.Window, Is.EqualTo(TimeSpan.FromMinutes(1)));
        Assert.That(uploads.MaxContentBytes, Is.EqualTo(defaults.MaxContentBytes), "an absent field of a section keeps its default");
        var snapshots = Parse("""{"snapshots": {"everyCheckpoints": 0}}""").Snapshots!;
        Assert.That((snapshots.EveryCheckpoints, snapshots.Keep), Is.EqualTo((0UL, new Snapshots.SnapshotOptions().Keep)), "0 takes none; keep stays at its default");
        Assert.That(Parse("""{"snapshots": {"chunkBytes": 4096}}""").Snapshots!.ChunkBytes, Is.EqualTo(4096));
        Assert.That(Parse("""{"snapshots": {"writerShare": 0.5}}""").Snapshots!.WriterShare, Is.EqualTo(0.5));
        Assert.That(Parse("""{"snapshots": {"keep": 3}}""").Snapshots!.WriterShare, Is.EqualTo(Snapshots.SnapshotOptions.DefaultWriterShare));
        Assert.That(Parse("{}").StateSync, Is.Null);
        string digest = "0x" + new string('b', 64);
        Assert.That(Parse($$$"""{"stateSync": {"enabled": true, "trustCheckpoint": "12@{{{digest}}}", "trustOldRoot": true}}""").StateSync,
            Is.EqualTo(new StateSyncSettings(true, "12@" + digest, null, true)));
        Assert.That(Parse($$$"""{"stateSync": {"trustAnchor": "0x{{{new string('c', 40)}}}"}}""").StateSync,
            Is.EqualTo(new StateSyncSettings(false, null, "0x" + new string('c', 40), false)), "a prepared section, not enabled");
    }

    [TestCase("""{"datadir": "/x"}""", "--config: $.datadir: unknown field (known: data, key, passwordFile, rpc, p2p, peers, rpcAllowedHosts, rpcAllowedOrigins, explorer, contentUploads, admission, ethRpc, logging, snapshots, retainBlocks, stateSync)")]
    [TestCase("""{"stateSync": {"trust": "1@0x00"}}""", "--config: $.stateSync.trust: unknown field (known: enabled, trustCheckpoint, trustAnchor, trustOldRoot)")]
    [TestCase("""{"stateSync": {"enabled": "yes"}}""", "--config: $.stateSync.enabled: must be true or false")]
    [TestCase("""{"stateSync": {"trustCheckpoint": 5}}""", "--config: $.stateSync.trustCheckpoint: must be a string, got number")]
    [TestCase("""{"stateSync": {"trustCheckpoint": "5@0x12"}}""", "--config: $.stateSync.trustCheckpoint: '0x12' is not a 32-byte digest")]
    [TestCase("""{"stateSync": {"trustAnchor": "0x12"}}""", "--config: $.stateSync.trustAnchor: ")]
    [TestCase("""{"stateSync": {"trustCheckpoint": "5@0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "trustAnchor": "0xcccccccccccccccccccccccccccccccccccccccc"}}""", "--config: $.stateSync: give one trust root, trustCheckpoint or trustAnchor, not both")]
    [TestCase("""{"stateSync": true}""", "--config: $.stateSync: must be an object")]
    [TestCase("""{"Data": "/x"}""", "--config: $.Data: unknown field")]
    [TestCase("""{"contentUploads": {"maxBytes": 1}}""", "--config: $.contentUploads.maxBytes: unknown field (known: maxContentBytes, maxBytesPerAccount, maxBytesTotal, windowSeconds, uploaders)")]
    [TestCase("""{"admission": {"budget": 1}}""", "--config: $.admission.budget: unknown field (known: targetQueueMs, minBudget, minRetryAfterMs)")]
    [TestCase("""{"rpc": "127.0.0.1:1", "rpc": "127.0.0.1:2"}""", "--config: $.rpc: given twice")]
    [TestCase("""{"admission": {"minBudget": 1, "minBudget": 2}}""", "--config: $.admission.minBudget: given twice")]
    [TestCase("""{"contentUploads": {"windowSeconds": 1, "windowSeconds": 2}}""", "--config: $.contentUploads.windowSeconds: given twice")]
    [TestCase("""{"logging": {"levels": {"IExecChain": "Debug", "IExecChain": "Error"}}}""", "--config: $.logging.levels.IExecChain: given twice")]
    public void An_unknown_or_repeated_field_is_refused_by_name(string json, string message) =>
        Assert.That(Assert.Throws<CliException>(() => Parse(json))!.Message, Is.EqualTo(message).Or.StartWith(message));

    [TestCase("""{"rpc": 8645}""", "--config: $.rpc: must be a string, got number")]
    [TestCase("""{"data": null}""", "--config: $.data: must be a string, got null")]
    [TestCase("""{"ethRpc": ["http://a"]}""", "--config: $.ethRpc: must be a string, got array")]
    [TestCase("""{"key": ""}""", "--config: $.key: must be a non-empty path without NUL characters")]
    [TestCase("""{"data": "a\u0000b"}""", "--config: $.data: must be a non-empty path without NUL characters")]
    [TestCase("""{"peers": "10.0.0.3:30400"}""", "--config: $.peers: must be an array of \"[0xADDRESS@]host:port\" strings")]
    [TestCase("""{"peers": ["10.0.0.3:30400", 7]}""", "--config: $.peers[1]: must be a string")]
    [TestCase("""{"rpcAllowedHosts": "a"}""", "--config: $.rpcAllowedHosts: must be an array of strings")]
    [TestCase("""{"rpcAllowedHosts": ["a", " "]}""", "--config: $.rpcAllowedHosts[1]: must be a non-empty string")]
    [TestCase("""{"contentUploads": []}""", "--config: $.contentUploads: must be an object")]
    [TestCase("""{"contentUploads": {"maxContentBytes": -1}}""", "--config: $.contentUploads.maxContentBytes: must be a non-negative integer")]
    [TestCase("""{"contentUploads": {"maxContentBytes": "1"}}""", "--config: $.contentUploads.maxContentBytes: must be a non-negative integer")]
    [TestCase("""{"contentUploads": {"maxBytesTotal": 1.5}}""", "--config: $.contentUploads.maxBytesTotal: must be a non-negative integer")]
    [TestCase("""{"contentUploads": {"maxBytesTotal": 9223372036854775808}}""", "--config: $.contentUploads.maxBytesTotal: must be a non-negative integer")]
    [TestCase("""{"contentUploads": {"windowSeconds": 0}}""", "--config: $.contentUploads.windowSeconds: must be positive")]
    [TestCase("""{"contentUploads": {"uploaders": ["0x12"]}}""", "--config: $.contentUploads.uploaders[0]: '0x12' is not a 20-byte 0x-hex address")]
    [TestCase("""{"contentUploads": {"uploaders": "0x2e6a5e4758b2094dc675593989ede87fbec0f688"}}""", "--config: $.contentUploads.uploaders: must be an array of strings")]
    [TestCase("""{"admission": 5}""", "--config: $.admission: must be an object")]
    [TestCase("""{"admission": {"minBudget": 0}}""", "--config: $.admission.minBudget: must be a positive integer")]
    [TestCase("""{"admission": {"minBudget": "10"}}""", "--config: $.admission.minBudget: must be a positive integer")]
    [TestCase("""{"admission": {"minBudget": 2147483648}}""", "--config: $.admission.minBudget: must be a positive integer")]
    [TestCase("""{"rpcAllowedOrigins": ["explorer.example.org"]}""", "--config: $.rpcAllowedOrigins[0]: 'explorer.example.org' is not an origin such as https://explorer.example.org (scheme, host and port only) or \"*\"")]
    [TestCase("""{"rpcAllowedOrigins": ["https://a.example/path"]}""", "--config: $.rpcAllowedOrigins[0]: 'https://a.example/path' is not an origin such as https://explorer.example.org (scheme, host and port only) or \"*\"")]
    [TestCase("""{"rpcAllowedOrigins": ["ftp://a.example"]}""", "--config: $.rpcAllowedOrigins[0]: 'ftp://a.example' is not an origin such as https://explorer.example.org (scheme, host and port only) or \"*\"")]
    [TestCase("""{"rpcAllowedOrigins": ["https://user@a.example"]}""", "--config: $.rpcAllowedOrigins[0]: 'https://user@a.example' is not an origin such as https://explorer.example.org (scheme, host and port only) or \"*\"")]
    [TestCase("""{"rpcAllowedOrigins": ["https://a.example/?x=1"]}""", "--config: $.rpcAllowedOrigins[0]: 'https://a.example/?x=1' is not an origin such as https://explorer.example.org (scheme, host and port only) or \"*\"")]
    [TestCase("""{"explorer": "no"}""", "--config: $.explorer: must be true or false")]
    [TestCase("""{"explorer": 0}""", "--config: $.explorer: must be true or false")]
    [TestCase("""{"retainBlocks": 0}""", "--config: $.retainBlocks: must be a positive integer")]
    [TestCase("""{"retainBlocks": "100"}""", "--config: $.retainBlocks: must be a positive integer")]
    [TestCase("""{"snapshots": true}""", "--config: $.snapshots: must be an object")]
    [TestCase("""{"snapshots": {"keep": 0}}""", "--config: $.snapshots.keep: must be a positive integer")]
    [TestCase("""{"snapshots": {"everyCheckpoints": -1}}""", "--config: $.snapshots.everyCheckpoints: must be a non-negative integer")]
    [TestCase("""{"snapshots": {"chunkBytes": 100}}""", "--config: $.snapshots.chunkBytes: must be an integer from 4096 to 16777216")]
    [TestCase("""{"snapshots": {"chunkBytes": 16777217}}""", "--config: $.snapshots.chunkBytes: must be an integer from 4096 to 16777216")]
    [TestCase("""{"snapshots": {"every": 5}}""", "--config: $.snapshots.every: unknown field (known: everyCheckpoints, keep, chunkBytes, writerShare)")]
    [TestCase("""{"snapshots": {"writerShare": 0}}""", "--config: $.snapshots.writerShare: must be a number above 0 and at most 1 (the snapshot writer's share of one core)")]
    [TestCase("""{"snapshots": {"writerShare": 1.5}}""", "--config: $.snapshots.writerShare: must be a number above 0 and at most 1 (the snapshot writer's share of one core)")]
    [TestCase("""{"snapshots": {"writerShare": "half"}}""", "--config: $.snapshots.writerShare: must be a number above 0 and at most 1 (the snapshot writer's share of one core)")]
    public void A_field_of_the_wrong_type_or_range_is_refused_by_name(string json, string message) =>
        Assert.That(Assert.Throws<CliException>(() => Parse(json))!.Message, Is.EqualTo(message));

    [TestCase("""{"peers": ["[::1]:30400"]}""", "--config: $.peers[0]: '[::1]:30400': IPv6 peers are not supported")]
    [TestCase("""{"peers": ["10.0.0.3:30400", "0x12@10.0.0.2:30400"]}""", "--config: $.peers[1]: '0x12@10.0.0.2:30400': '0x12' is not a 20-byte hex address")]
    [TestCase("""{"peers": ["node2.example:30400"]}""", "--config: $.peers[0]: 'node2.example:30400': host 'node2.example' is not an IPv4 address")]
    [TestCase("""{"peers": ["10.0.0.3:0"]}""", "--config: $.peers[0]: '10.0.0.3:0': port '0' is not a number from 1 to 65535")]
    [TestCase("""{"rpc": "127.0.0.1:65536"}""", "--config: $.rpc: '127.0.0.1:65536' is not host:port: port '65536' is not a number from 0 to 65535")]
    [TestCase("""{"rpc": "https://127.0.0.1:8645"}""", "--config: $.rpc: 'https://127.0.0.1:8645': only http:// is served")]
    [TestCase("""{"p2p": "::1:30400"}""", "--config: $.p2p: '::1:30400': an IPv6 address goes in brackets")]
    public void An_address_the_node_could_not_use_is_refused_by_field(string json, string message) =>
        Assert.That(Assert.Throws<CliException>(() => Parse(json))!.Message, Does.StartWith(message));

    [TestCase("", "--config: 'node.json' is not valid JSON")]
    [TestCase("{", "--config: 'node.json' is not valid JSON")]
    [TestCase("""{"rpc": "127.0.0.1:8645",}""", "--config: 'node.json' is not valid JSON")]
    [TestCase("[]", "--config: 'node.json' must hold a JSON object")]
    [TestCase("null", "--config: 'node.json' must hold a JSON object")]
    [TestCase("""{"rpc": "\ud800"}""", "--config: $.rpc: not valid Unicode text")]
    public void A_file_that_is_not_a_json_object_is_refused(string json, string message) =>
        Assert.That(Assert.Throws<CliException>(() => Parse(json))!.Message, Does.StartWith(message));

    [Test]
    public void A_missing_file_is_named()
    {
        string path = Path.Combine(BaseDir, "no-such-node.json");
        Assert.That(Assert.Throws<CliException>(() => NodeConfigFile.Load(path))!.Message, Is.EqualTo($"--config: file '{path}' does not exist"));
    }
}
