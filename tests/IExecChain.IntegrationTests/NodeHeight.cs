using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>A node's head height over its RPC, for tests that wait for a network to move.</summary>
internal static class NodeHeight
{
    public static async Task<ulong> ReadAsync(Uri rpc)
    {
        using var client = new JsonRpcClient(rpc, TimeSpan.FromSeconds(5));
        return JsonRpcClient.Quantity(await client.CallAsync("iex_blockNumber"));
    }

    /// <summary>Polls until the node at <paramref name="rpc"/> reaches <paramref name="height"/>; fails with <paramref name="output"/> (the node's log) after the timeout.</summary>
    public static async Task WaitAsync(string name, Uri rpc, ulong height, TimeSpan timeout, Func<string?> output)
    {
        var deadline = DateTime.UtcNow + timeout;
        ulong last = 0;
        while (DateTime.UtcNow < deadline)
        {
            try { last = await ReadAsync(rpc); } catch (Exception e) when (e is JsonRpcClientException or HttpRequestException or TaskCanceledException) { }
            if (last >= height) return;
            await Task.Delay(100);
        }
        Assert.Fail($"{name} stayed at height {last}, below {height}, for {timeout.TotalSeconds} s:\n{output()}");
    }
}
