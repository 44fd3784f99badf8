using IExecChain.Ethereum.JsonRpc;

namespace IExecChain.Ethereum.Bridge;

/// <summary>
/// Reads the bridge contract's Deposit events as far as they are confirmed: a deposit in block b
/// is confirmed once the Ethereum head is at b + confirmations − 1 or beyond (its block counts).
/// Blocks above that are never read, so a deposit reorganised away before the depth is never seen.
/// Logs are read in windows of at most <see cref="MaxBlocksPerQuery"/> blocks (public endpoints
/// cap eth_getLogs ranges), each block once.
/// </summary>
public sealed class DepositScanner(BridgeContract contract, EthereumRpcClient rpc, ulong confirmations, ulong startBlock)
{
    public const ulong DefaultMaxBlocksPerQuery = 2000;

    private readonly SortedDictionary<ulong, BridgeDepositEvent> _confirmed = [];
    private ulong _nextBlock = startBlock;

    public ulong MaxBlocksPerQuery { get; init; } = DefaultMaxBlocksPerQuery;

    /// <summary>The Ethereum head at the last look.</summary>
    public ulong EthereumHead { get; private set; }

    /// <summary>The first block not read yet (every block below it was read up to the confirmed head).</summary>
    public ulong NextBlock => _nextBlock;

    /// <summary>Deposits seen and not forgotten yet.</summary>
    public int Count => _confirmed.Count;

    /// <summary>
    /// Reads the logs of the blocks confirmed since the last call. An id logged twice with different
    /// contents (an endpoint that changed its history below the depth) keeps the first and is
    /// reported through <paramref name="conflict"/>.
    /// </summary>
    public async Task AdvanceAsync(Action<BridgeDepositEvent, BridgeDepositEvent>? conflict = null, CancellationToken ct = default)
    {
        ulong head = await rpc.BlockNumberAsync(ct);
        EthereumHead = head;
        if (head + 1 < confirmations) return;
        ulong confirmedHead = head + 1 - confirmations;
        while (_nextBlock <= confirmedHead)
        {
            ulong to = Math.Min(confirmedHead, _nextBlock + MaxBlocksPerQuery - 1);
            foreach (var deposit in await contract.DepositsAsync(_nextBlock, to, ct))
            {
                if (!_confirmed.TryGetValue(deposit.Id, out var known)) _confirmed[deposit.Id] = deposit;
                else if (!SameContent(known, deposit)) conflict?.Invoke(known, deposit);
            }
            _nextBlock = to + 1;
        }
    }

    /// <summary>The confirmed deposits with ids from <paramref name="fromId"/> below <paramref name="toId"/>, ascending.</summary>
    public IEnumerable<BridgeDepositEvent> Range(ulong fromId, ulong toId)
    {
        foreach (var (id, deposit) in _confirmed)
        {
            if (id >= toId) yield break;
            if (id >= fromId) yield return deposit;
        }
    }

    /// <summary>Drops the deposits below <paramref name="id"/> (credited: nobody needs them again).</summary>
    public void ForgetBelow(ulong id)
    {
        while (_confirmed.Count > 0 && _confirmed.First().Key < id) _confirmed.Remove(_confirmed.First().Key);
    }

    /// <summary>Reads again from <paramref name="block"/> (a restart of following, e.g. after the endpoint changed).</summary>
    public void Rewind(ulong block)
    {
        if (block < _nextBlock) _nextBlock = block;
    }

    private static bool SameContent(BridgeDepositEvent a, BridgeDepositEvent b) =>
        a.Id == b.Id && a.Depositor == b.Depositor && a.Recipient == b.Recipient && a.Amount == b.Amount && a.TransactionHash == b.TransactionHash && a.BlockNumber == b.BlockNumber;
}
