using System.Text.RegularExpressions;
using IExecChain.Core.Crypto;
using IExecChain.State.Validators;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

public class CliTests
{
    [Test]
    public void Keys_new_writes_a_keystore_whose_address_inspect_prints()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("pw"), "secret\n");
        var (code, output) = NodeProcess.Run("keys", "new", "--out", dir.File("k.json"), "--password-file", dir.File("pw"));
        Assert.That(code, Is.EqualTo(0), output);
        var address = output.Trim();
        Assert.That(address, Does.Match("^0x[0-9a-fA-F]{40}$"));
        var json = File.ReadAllText(dir.File("k.json"));
        Assert.That(json, Does.Contain("\"version\":3").Or.Contain("\"version\": 3"));

        (code, output) = NodeProcess.Run("keys", "inspect", "--keystore", dir.File("k.json"), "--password-file", dir.File("pw"));
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output.Trim(), Is.EqualTo(address));

        // No password: the address the file states in clear, said to be unchecked.
        (code, output) = NodeProcess.Run("keys", "inspect", "--keystore", dir.File("k.json"));
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.StartWith(address + "\n").And.Contain("give --password-file to check"));
        (code, output) = NodeProcess.Run("keys", "inspect", "--keystore", dir.File("k.json"), "--public-key");
        Assert.That(code, Is.EqualTo(2), "the public key needs the password");
        Assert.That(output, Does.Contain("--password-file"));
    }

    [Test]
    public void Keys_inspect_prints_the_ethereum_address_of_a_known_key()
    {
        var (code, output) = NodeProcess.Run("keys", "inspect", "--private-key", "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output.Trim(), Is.EqualTo("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"));
    }

    [Test]
    public void Import_then_export_returns_the_same_private_key()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("pw"), "pw\n");
        var key = PrivateKey.Generate();
        Assert.That(NodeProcess.Run("keys", "import", "--private-key", key.ToHex(), "--out", dir.File("k.json"), "--password-file", dir.File("pw")).ExitCode, Is.EqualTo(0));
        var (code, output) = NodeProcess.Run("keys", "export", "--keystore", dir.File("k.json"), "--password-file", dir.File("pw"));
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain(key.ToHex()));
    }

    [Test]
    public void Wrong_password_is_a_clear_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("pw"), "right\n");
        File.WriteAllText(dir.File("bad"), "wrong\n");
        NodeProcess.Run("keys", "new", "--out", dir.File("k.json"), "--password-file", dir.File("pw"));
        var (code, output) = NodeProcess.Run("keys", "inspect", "--keystore", dir.File("k.json"), "--password-file", dir.File("bad"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("error:").And.Contain("password"));
    }

    [Test]
    public void No_password_and_no_terminal_is_a_clear_error()
    {
        using var dir = new TempDir();
        var (code, output) = NodeProcess.Run("keys", "new", "--out", dir.File("k.json"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("--password-file"));
        Assert.That(File.Exists(dir.File("k.json")), Is.False);
    }

    [Test]
    public void Bad_arguments_are_rejected_with_what_is_wrong()
    {
        var (code, output) = NodeProcess.Run("keys", "inspect", "--private-key", "0xnothex");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("--private-key"));

        (code, output) = NodeProcess.Run("tx", "transfer", "--to", "0x12", "--amount", "5", "--key", "nofile.json");
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain("--to").Or.Contain("nofile.json"));

        (code, output) = NodeProcess.Run("frobnicate");
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain("frobnicate"));

        (code, output) = NodeProcess.Run("run", "--data", "/nonexistent-iexec-dir");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("iexchain init"));
    }

    [Test]
    public void Init_rejects_a_bad_chain_spec_naming_the_field()
    {
        using var dir = new TempDir();
        var spec = File.ReadAllText(DevChain.SpecPath).Replace("\"blockIntervalMs\": 200", "\"blockIntervalMs\": 0");
        File.WriteAllText(dir.File("bad.json"), spec);
        var (code, output) = NodeProcess.Run("init", "--chain-spec", dir.File("bad.json"), "--data", dir.File("node"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("$.parameters.blockIntervalMs: must be at least 10"));
    }

    [Test]
    public void Devnet_genesis_hash_is_pinned()
    {
        using var dir = new TempDir();
        var (code, output) = NodeProcess.Run("init", "--chain-spec", DevChain.SpecPath, "--data", dir.File("node"));
        Assert.That(code, Is.EqualTo(0), output);
        // Changing this hash means changing the devnet chain: genesis encoding, state tree rules or devnet.json.
        Assert.That(output, Does.Contain("genesis " + GenesisPin.DevnetGenesisHash));
    }

    [Test]
    public void Change_parameter_help_lists_every_governable_parameter_with_its_doc()
    {
        var (code, output) = NodeProcess.Run("gov", "propose", "change-parameter", "--help");
        Assert.That(code, Is.EqualTo(0), output);
        // Help may wrap to the terminal's width.
        var help = Regex.Replace(output, @"\s+", " ");
        foreach (var p in GovernableParameters.All)
            Assert.That(help, Does.Contain($"{p.Name}: {Regex.Replace(p.Doc, @"\s+", " ")}"), p.Name);
    }

    [Test]
    public void Change_parameter_refuses_an_unknown_name_or_an_out_of_range_value_before_sending()
    {
        // No key, no description and no node: the refusal must come first.
        string[] rest = ["--description", "missing.txt", "--key", "missing.json", "--rpc", "http://127.0.0.1:1"];
        var (code, output) = NodeProcess.Run(["gov", "propose", "change-parameter", "--name", "fees.anchorReceipt", "--value", "1", .. rest]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain($"--name: 'fees.anchorReceipt' is not governable (governable: {GovernableParameters.NameList})"));

        (code, output) = NodeProcess.Run(["gov", "propose", "change-parameter", "--name", "fees.transfer", "--value", "1000.5RLC", .. rest]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("--value: fees.transfer must be between 0 RLC and 1000 RLC, got 1000.5 RLC"));
    }

    /// <summary>Through the real CLI and node: the categories in force, an order template, and an app refused before upload.</summary>
    [Test]
    public async Task Categories_order_templates_and_the_app_door_check_help_users_get_it_right_before_sending()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        var (code, output) = NodeProcess.Run("chain", "categories", "--rpc", chain.Rpc.ToString());
        Assert.That(code, Is.EqualTo(0), output);
        var lines = output.Split('\n');
        // The devnet: default categories at 200 ms blocks.
        Assert.That(lines[1], Does.StartWith("0   XS    1,000,000,000    64 MiB").And.Contain("25 blocks (5 s)").And.Contain("250 blocks (50 s)"));
        Assert.That(lines[2], Does.StartWith("1   S     10,000,000,000   256 MiB").And.Contain("200 blocks (40 s)"));
        Assert.That(lines[3], Does.StartWith("2   M     100,000,000,000  1024 MiB").And.Contain("5000 blocks (1000 s)"));

        (code, output) = NodeProcess.Run("order", "template", "request");
        Assert.That(code, Is.EqualTo(0), output);
        using var dir = new TempDir();
        // A requester's typo is refused before anything is signed, with the name it meant.
        string file = dir.File("request.json");
        File.WriteAllText(file, output.Replace("\"appmaxprice\"", "\"apmaxprice\"", StringComparison.Ordinal));
        (code, output) = NodeProcess.Run("order", "place", file, "--key", chain.AccountKeyFile(0), "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString());
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("requestorder.apmaxprice: unknown field; did you mean 'appmaxprice'?"));
        (code, output) = NodeProcess.Run("order", "template", "sell");
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("'sell' is not an order kind (request, app, workerpool, dataset)"));

        // An app the workers could never run is refused at the door, saying why; nothing is uploaded or registered.
        string badImport = dir.File("clock.wasm"), script = dir.File("script.wasm");
        File.WriteAllBytes(badImport, Worker.Wasm.WasmCode.FromText("""(module (import "env" "now" (func (result i64))) (func (export "_start")))""").Bytes.ToArray());
        File.WriteAllText(script, "#!/bin/sh\necho hello\n");
        foreach (var (file2, reason) in new[] { (badImport, "imports function env::now; apps may import only wasi_snapshot_preview1 functions"), (script, "not a WebAssembly module") })
        {
            (code, output) = NodeProcess.Run("app", "register", "--name", "bad", "--wasm", file2, "--key", chain.AccountKeyFile(0), "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString());
            Assert.That(code, Is.EqualTo(2), output);
            Assert.That(output, Does.Contain($"--wasm: '{file2}' cannot run as an app: {reason}").And.Contain("nothing was uploaded or registered"));
        }
        using var client = new Rpc.Contracts.Client.JsonRpcClient(chain.Rpc);
        var account = await client.CallAsync("iex_getAccount", DevChain.DevAddress("account", 0).ToString());
        Assert.That(Rpc.Contracts.Client.JsonRpcClient.Quantity(account.GetProperty("pendingNonce")), Is.EqualTo(0UL), "no transaction was sent");

        // A WASI command passes both checks (the CLI's and the node's, the upload being declared an app) and is registered.
        string good = dir.File("exit.wasm");
        File.WriteAllBytes(good, Worker.Wasm.WasmCode.FromText("""(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (func (export "_start")))""").Bytes.ToArray());
        (code, output) = NodeProcess.Run("app", "register", "--name", "good", "--wasm", good, "--key", chain.AccountKeyFile(0), "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString(), "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        var app = Regex.Match(output, "app (0x[0-9a-fA-F]{40})");
        Assert.That(app.Success, Is.True, output);
        Assert.That((await client.CallAsync("iex_getApp", app.Groups[1].Value)).GetProperty("name").GetString(), Is.EqualTo("good"));
    }

    /// <summary>
    /// Through the real CLI and node: a file over one request's limit goes up in chunks and is stored
    /// whole; a provider serves a dataset and an app itself and registers them by root, and the CLI
    /// refuses a wrong size or an app the workers could not run before sending anything.
    /// </summary>
    [Test]
    public async Task Content_is_uploaded_in_chunks_or_served_by_its_provider_and_registered_by_root()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        using var dir = new TempDir();
        string[] key = ["--key", chain.AccountKeyFile(0), "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString()];

        // 9 MiB: refused by iex_putContent's one request before, now sent in chunks.
        string big = dir.File("big.bin");
        byte[] bytes = new byte[9 * 1024 * 1024 + 5];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(big, bytes);
        var (code, output) = NodeProcess.Run(["content", "upload", big, .. key]);
        Assert.That(code, Is.EqualTo(0), output);
        var expected = Core.Content.ContentMerkle.ComputeFileRoot(big);
        Assert.That(output, Does.Contain($"root {expected.Root}").And.Contain($"size {bytes.Length}").And.Contain("uploading big.bin: 9.0 MiB of 9.0 MiB (100%)"));
        using var client = new Rpc.Contracts.Client.JsonRpcClient(chain.Rpc);
        var last = await client.CallAsync("iex_getChunk", expected.Root.ToString(), expected.ChunkCount - 1);
        Assert.That(Rpc.Contracts.Client.JsonRpcClient.Quantity(last.GetProperty("size")), Is.EqualTo((ulong)bytes.Length), "the node serves what it took");

        // The provider's own server.
        string served = Directory.CreateDirectory(Path.Combine(dir.Path, "served")).FullName;
        File.WriteAllBytes(Path.Combine(served, "data.bin"), bytes.AsSpan(0, 300_000).ToArray());
        File.WriteAllBytes(Path.Combine(served, "exit.wasm"), Worker.Wasm.WasmCode.FromText("""(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (func (export "_start")))""").Bytes.ToArray());
        File.WriteAllBytes(Path.Combine(served, "clock.wasm"), Worker.Wasm.WasmCode.FromText("""(module (import "env" "now" (func (result i64))) (func (export "_start")))""").Bytes.ToArray());
        int port = NodeProcess.FreePort();
        using var server = NodeProcess.Start("content", "serve", served, "--listen", $"127.0.0.1:{port}");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!server.Output.Contains("data.bin: ", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !server.HasExited) await Task.Delay(100);
        string[] Registration(string file) => Regex.Match(server.Output, $"{Regex.Escape(file)}: (.*)").Groups[1].Value.Trim().Split(' ');
        string[] data = Registration("data.bin"), app = Registration("exit.wasm"), clock = Registration("clock.wasm");
        Assert.That(data, Has.Length.EqualTo(6), server.Output);
        Assert.That(data[1], Is.EqualTo(Core.Content.ContentMerkle.ComputeRoot(bytes.AsSpan(0, 300_000)).ToString()));

        string[] wrongSize = [.. data];
        wrongSize[3] = "300001";
        (code, output) = NodeProcess.Run(["dataset", "register", "--name", "typo", .. wrongSize, .. key]);
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("--size: ").And.Contain("with size 300000, not 300001"));
        (code, output) = NodeProcess.Run(["app", "register", "--name", "clock", .. clock, .. key]);
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("cannot run as an app: imports function env::now").And.Contain("nothing was uploaded or registered"));
        var account = await client.CallAsync("iex_getAccount", DevChain.DevAddress("account", 0).ToString());
        Assert.That(Rpc.Contracts.Client.JsonRpcClient.Quantity(account.GetProperty("pendingNonce")), Is.EqualTo(0UL), "no transaction was sent");

        (code, output) = NodeProcess.Run(["dataset", "register", "--name", "served", .. data, .. key, "--wait"]);
        Assert.That(code, Is.EqualTo(0), output);
        var dataset = await client.CallAsync("iex_getDataset", Regex.Match(output, "dataset (0x[0-9a-fA-F]{40})").Groups[1].Value);
        Assert.That(dataset.GetProperty("endpoint").GetString(), Is.EqualTo(data[5]));
        Assert.That(dataset.GetProperty("contentRoot").GetString(), Is.EqualTo(data[1]));
        (code, output) = NodeProcess.Run(["app", "register", "--name", "served", .. app, .. key, "--wait"]);
        Assert.That(code, Is.EqualTo(0), output);
        string appId = Regex.Match(output, "app (0x[0-9a-fA-F]{40})").Groups[1].Value;
        var registered = await client.CallAsync("iex_getApp", appId);
        Assert.That(registered.GetProperty("endpoint").GetString(), Is.EqualTo(app[5]));
        (code, output) = NodeProcess.Run("app", "show", appId, "--rpc", chain.Rpc.ToString());
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain(app[1]).And.Contain("\"name\": \"served\""));
        (code, output) = NodeProcess.Run("dataset", "show", "0x" + new string('1', 40), "--rpc", chain.Rpc.ToString());
        Assert.That(code, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("does not exist"));
    }
}

internal static class GenesisPin
{
    public const string DevnetGenesisHash = "0xabba1aabd533aa7cbd9b7135ff32fbfbf80eb9762bec2e4a398ed00ab7bd512b";
}
