using System.Text.Json;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>Following a placed request order to its task, for tests that run one task through the market.</summary>
internal static class OrderTasks
{
    /// <summary>
    /// Waits for the first task of <paramref name="order"/> to reach <paramref name="status"/> and returns its id and
    /// record; fails as soon as it reaches <paramref name="wrongEnd"/> (the other way a task ends), or at the timeout,
    /// with the devnet's output.
    /// </summary>
    public static async Task<(string Task, JsonElement Record)> WaitForAsync(JsonRpcClient client, string order, string status, string wrongEnd, TimeSpan timeout, NodeProcess devnet)
    {
        string? task = null;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"task {task} of order {order} did not become {status}:\n{devnet.Output}");
            if (task is null)
            {
                var deals = (await client.CallAsync("iex_getOrder", order)).GetProperty("deals");
                if (deals.GetArrayLength() > 0) task = (await client.CallAsync("iex_getDeal", deals[0].GetString()!)).GetProperty("tasks")[0].GetString();
            }
            else
            {
                var record = await client.CallAsync("iex_getTask", task);
                string now = record.GetProperty("status").GetString()!;
                Assert.That(now, Is.Not.EqualTo(wrongEnd), record.ToString());
                if (now == status) return (task, record);
            }
            await Task.Delay(300);
        }
    }
}
