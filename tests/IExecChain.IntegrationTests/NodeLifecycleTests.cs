using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

[NonParallelizable]
public class NodeLifecycleTests
{
    [Test]
    public async Task Transfer_submitted_with_the_cli_is_final_and_queryable()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));

        var recipient = "0x00000000000000000000000000000000000a11ce";
        var (code, output) = NodeProcess.Run("tx", "transfer", "--to", recipient, "--amount", "2.5RLC", "--key", chain.AccountKeyFile(0),
            "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString(), "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("success"));
        var txId = output.Split('\n')[0].Replace("submitted ", "").Trim();

        (code, output) = NodeProcess.Run("query", "account", recipient, "--rpc", chain.Rpc.ToString());
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("balance").GetString(), Is.EqualTo("2.5 RLC"));
        (code, output) = NodeProcess.Run("query", "account", recipient, "--rpc", chain.Rpc.ToString(), "--raw");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("balance").GetString(), Is.EqualTo("0x9502f900")); // 2.5e9 nRLC

        (code, output) = NodeProcess.Run("query", "tx", txId, "--rpc", chain.Rpc.ToString());
        Assert.That(code, Is.EqualTo(0), output);
        var tx = JsonDocument.Parse(output).RootElement;
        Assert.That(tx.GetProperty("transaction").GetProperty("from").GetString(), Is.EqualTo(DevChain.DevAddress("account", 0).ToString()));
        Assert.That(tx.GetProperty("receipt").GetProperty("status").GetString(), Is.EqualTo("success"));
        Assert.That(tx.GetProperty("transaction").GetProperty("payload").GetProperty("amount").GetString(), Is.EqualTo("2.5 RLC"));
        Assert.That(tx.GetProperty("transaction").GetProperty("nonce").ValueKind, Is.EqualTo(JsonValueKind.Number));

        (code, output) = NodeProcess.Run("query", "block", "latest", "--rpc", chain.Rpc.ToString());
        Assert.That(code, Is.EqualTo(0), output);
        var block = JsonDocument.Parse(output).RootElement;
        Assert.That(block.GetProperty("commit").GetProperty("signatures").GetArrayLength(), Is.EqualTo(1));
        Assert.That(block.GetProperty("number").GetUInt64(), Is.EqualTo(block.GetProperty("commit").GetProperty("height").GetUInt64()));

        (code, output) = NodeProcess.Run("tx", "stake", "--role", "worker", "--amount", "100RLC", "--key", chain.AccountKeyFile(1),
            "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString(), "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        (code, output) = NodeProcess.Run("tx", "unstake", "--role", "worker", "--amount", "100RLC", "--key", chain.AccountKeyFile(1),
            "--password-file", chain.PasswordFile, "--rpc", chain.Rpc.ToString(), "--wait");
        Assert.That(code, Is.EqualTo(0), output);
        (code, output) = NodeProcess.Run("query", "account", DevChain.DevAddress("account", 1).ToString(), "--rpc", chain.Rpc.ToString());
        var unbonding = JsonDocument.Parse(output).RootElement.GetProperty("unbonding");
        Assert.That(unbonding.GetArrayLength(), Is.EqualTo(1), output);
        Assert.That(unbonding[0].GetProperty("amount").GetString(), Is.EqualTo("100 RLC"), output);

        node.Terminate();
        Assert.That(node.ExitCode, Is.EqualTo(0), node.Output);
        Assert.That(node.Output, Does.Contain("signatures: native (libsecp256k1)").Or.Contain("signatures: managed"));
    }

    [Test]
    public async Task Sigterm_while_the_node_looks_for_snapshots_stops_it_cleanly_and_leaves_no_database()
    {
        // State sync with a peer nobody answers at: the node waits in discovery. SIGTERM there must stop it
        // like SIGTERM at any other time (exit 0), not end the process unhandled (143).
        using var chain = new DevChain();
        string joiner = chain.Dir.File("joiner");
        var (code, output) = NodeProcess.Run("init", "--chain-spec", DevChain.SpecPath, "--data", joiner);
        Assert.That(code, Is.EqualTo(0), output);
        using var node = NodeProcess.Start("run", "--data", joiner, "--rpc", $"127.0.0.1:{NodeProcess.FreePort()}", "--p2p", $"127.0.0.1:{NodeProcess.FreeUdpPort()}",
            "--peer", $"127.0.0.1:{NodeProcess.FreeUdpPort()}", "--state-sync", "--trust-checkpoint", "1@0x" + new string('1', 64));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!node.Output.Contains("State sync: looking for snapshots", StringComparison.Ordinal))
        {
            Assert.That(node.HasExited, Is.False, node.Output);
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), node.Output);
            await Task.Delay(100);
        }
        node.Terminate();
        Assert.That(node.ExitCode, Is.EqualTo(0), node.Output);
        Assert.That(Directory.Exists(Path.Combine(joiner, "db")), Is.False, "no half-restored database is left");
    }

    [Test]
    public async Task A_node_run_with_no_explorer_serves_no_page_and_keeps_its_rpc()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator(null, "--no-explorer");
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, chain.Rpc);
        request.Headers.Accept.ParseAdd("text/html");
        using var page = await http.SendAsync(request);
        Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"), "a browser gets the RPC's plain description, not the app");
        Assert.That(await page.Content.ReadAsStringAsync(), Does.StartWith("iExecChain JSON-RPC 2.0 endpoint"));
        using var index = await http.GetAsync(new Uri(chain.Rpc, "/index.html"));
        Assert.That(index.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.NotFound));
        using var client = new JsonRpcClient(chain.Rpc);
        Assert.That((await client.CallAsync("iex_chainId")).GetString(), Is.EqualTo("0x539"));
    }

    [Test]
    public async Task Bad_rpc_input_gets_spec_errors_and_the_node_keeps_running()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        using var http = new HttpClient();

        async Task<JsonElement> Post(string body)
        {
            using var content = new StringContent(body, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(chain.Rpc, content);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        int Code(JsonElement e) => e.GetProperty("error").GetProperty("code").GetInt32();
        string Message(JsonElement e) => e.GetProperty("error").GetProperty("message").GetString()!;

        Assert.That(Code(await Post("{not json")), Is.EqualTo(-32700));
        Assert.That(Code(await Post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"iex_nope\"}")), Is.EqualTo(-32601));
        Assert.That(Code(await Post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"iex_getAccount\",\"params\":[42]}")), Is.EqualTo(-32602));
        var badAddress = await Post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"iex_getAccount\",\"params\":[\"0x12\"]}");
        Assert.That(Message(badAddress), Does.Contain("address"));
        var garbageTx = await Post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"iex_sendRawTransaction\",\"params\":[\"0xdeadbeef\"]}");
        Assert.That(Code(garbageTx), Is.EqualTo(-32000));
        Assert.That(Message(garbageTx), Does.Contain("transaction rejected"));
        var notHex = await Post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"iex_sendRawTransaction\",\"params\":[\"zz\"]}");
        Assert.That(Code(notHex), Is.EqualTo(-32602));

        var batch = await Post("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"iex_chainId\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"iex_blockNumber\"}]");
        Assert.That(batch.GetArrayLength(), Is.EqualTo(2));
        Assert.That(batch[0].GetProperty("result").GetString(), Is.EqualTo("0x539"));

        using var client = new JsonRpcClient(chain.Rpc);
        var info = await client.CallAsync("iex_nodeInfo");
        Assert.That(info.GetProperty("validator").GetString(), Is.EqualTo(DevChain.DevAddress("validator", 0).ToString()));
        Assert.That(node.HasExited, Is.False);
    }
}
