using IExecChain.Core.Specs;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Cli;

/// <summary>Runs a command body and turns the errors a user can cause into one clear line and exit code 2.</summary>
public static class Cli
{
    public const int UserError = 2;

    public static int Run(Action action) => RunAsync(() => { action(); return Task.FromResult(0); }).GetAwaiter().GetResult();

    public static int Run(Func<int> action) => RunAsync(() => Task.FromResult(action())).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is CliException or ChainSpecException or JsonRpcClientException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException
            or Ethereum.JsonRpc.EthereumRpcException or Ethereum.JsonRpc.EthereumUnavailableException or Ethereum.Transactions.EthereumTransactionException or Ethereum.Anchoring.AnchoringException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return UserError;
        }
    }

    public static async Task<int> RunAsync(Func<Task> action) =>
        await RunAsync(async () => { await action().ConfigureAwait(false); return 0; }).ConfigureAwait(false);
}
