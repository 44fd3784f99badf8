using IExecChain.State.Chain;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node;

/// <summary>
/// Keeps the block store to the newest <c>retain</c> blocks (and genesis): after each commit, the blocks
/// that fell out of the window are deleted with their commits and receipts on a background task, one
/// prune at a time. The state is untouched; a pruned block is answered as such over RPC.
/// </summary>
public sealed partial class BlockPruner(BlockStore blocks, ulong? retain, ILogger logger) : IAsyncDisposable
{
    private Task _running = Task.CompletedTask;
    private bool _first = true;

    /// <summary>Blocks deleted since the node started.</summary>
    public ulong Pruned { get; private set; }

    /// <summary>Called on the consensus thread after each block's commit.</summary>
    public void OnCommitted(ulong head)
    {
        if (retain is not { } window || head <= window || !_running.IsCompleted) return;
        ulong below = head - window + 1;
        if (below <= blocks.LowestHeight) return;
        bool first = _first;
        _first = false;
        _running = Task.Run(() =>
        {
            try
            {
                ulong deleted = blocks.Prune(below);
                Pruned += deleted;
                if (first) LogFirst(logger, deleted, below, window);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException)
            {
                LogFailed(logger, below, e);
            }
        });
    }

    public async ValueTask DisposeAsync() => await _running.ConfigureAwait(false);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Deleted} block(s): keeping blocks from {Lowest} (the newest {Window}) and genesis")]
    private static partial void LogFirst(ILogger logger, ulong deleted, ulong lowest, ulong window);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pruning the blocks below {Below} failed")]
    private static partial void LogFailed(ILogger logger, ulong below, Exception exception);
}
