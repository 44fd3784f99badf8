using System.Numerics;
using System.Text.Json;
using IExecChain.Ethereum.Bridge;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.Node.Bridge;

/// <summary>
/// Both sides of the bridge and the invariant between them (docs/bridge.md, "Supply"):
/// locked on Ethereum = bridged supply on the sidechain + deposits not yet credited + withdrawals not
/// yet claimed. Each term is read on its own side: the pending deposits and the claims from the
/// contract's logs, the supply and the withdrawals from the sidechain's state.
/// </summary>
public sealed record BridgeBalance(
    string Contract, ulong EthChainId, ulong EthBlock, ulong SidechainHeight,
    string LockedOnEthereum, ulong DepositCount, ulong BridgedSupply, ulong NextDepositId,
    ulong PendingDeposits, ulong PendingDepositAmount, ulong Withdrawals, ulong WithdrawnTotal,
    ulong ClaimedWithdrawals, ulong ClaimedAmount, ulong UnclaimedWithdrawals, ulong UnclaimedAmount, bool Balanced,
    ulong FrozenAt = 0, ulong Exits = 0, ulong ExitedAmount = 0)
{
    public static async Task<BridgeBalance> ReadAsync(NodeRpcClient side, EthereumRpcClient eth, BridgeCommands.BridgeInfo info, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
            if (await TryReadAsync(side, eth, info, ct) is { } balance) return balance;
            else if (attempt == 5) throw new Cli.CliException("deposits kept being credited while the bridge was read; try again");
    }

    /// <summary>Null when the sidechain credited a deposit while Ethereum was read (the two reads would not match).</summary>
    private static async Task<BridgeBalance?> TryReadAsync(NodeRpcClient side, EthereumRpcClient eth, BridgeCommands.BridgeInfo info, CancellationToken ct)
    {
        var contract = new BridgeContract(eth, info.Contract);
        var status = await side.BridgeStatusAsync();
        ulong startBlock = (status.Bridge ?? throw new Cli.CliException("the sidechain has no bridge (iex_bridgeStatus lists none)")).StartBlock;
        // One Ethereum block for every read: the logs up to it, then the contract's figures at it
        // (a deposit landing between two reads would otherwise look like an imbalance).
        ulong block = await eth.BlockNumberAsync(ct);
        ulong nextDeposit = status.NextDepositId;
        ulong pendingDeposits = 0, pendingAmount = 0;
        var claimed = new Dictionary<ulong, ulong>();
        ulong exits = 0, exitedAmount = 0;
        for (ulong from = startBlock; from <= block; from += DepositScanner.DefaultMaxBlocksPerQuery)
        {
            ulong to = Math.Min(block, from + DepositScanner.DefaultMaxBlocksPerQuery - 1);
            foreach (var deposit in await contract.DepositsAsync(from, to, ct))
                if (deposit.Id >= nextDeposit) { pendingDeposits++; pendingAmount += deposit.Amount; }
            foreach (var (id, amount) in await contract.ClaimsAsync(from, to, ct)) claimed[id] = amount;
            foreach (var amount in await contract.ExitsAsync(from, to, ct)) { exits++; exitedAmount += amount; }
        }
        var locked = await LockedAtAsync(eth, info, block, ct);
        ulong depositCount = (ulong)(BigInteger)BridgeContract.DepositCountFunction.DecodeOutput(
            await eth.CallAsync(info.Contract, BridgeContract.DepositCountFunction.EncodeCall(), block: EthereumRpcClient.Quantity(block), ct: ct))[0];

        // The sidechain read after Ethereum: a deposit credited meanwhile moves from pending to the
        // supply, so the sidechain is read again when its figures moved while the logs were read.
        status = await side.BridgeStatusAsync();
        if (status.NextDepositId != nextDeposit) return null;
        ulong supply = status.BridgedSupply;
        ulong withdrawn = status.WithdrawnTotal;
        ulong withdrawals = status.NextWithdrawalId;
        ulong claimedAmount = claimed.Values.Aggregate(0UL, (a, b) => a + b);
        ulong unclaimedAmount = withdrawn >= claimedAmount ? withdrawn - claimedAmount : 0;
        // Once frozen, exits pay from the frozen checkpoint's state, not the live supply: the live
        // invariant no longer applies and the freeze is reported instead.
        ulong frozenAt = (ulong)(BigInteger)BridgeContract.FrozenAtFunction.DecodeOutput(
            await eth.CallAsync(info.Contract, BridgeContract.FrozenAtFunction.EncodeCall(), block: EthereumRpcClient.Quantity(block), ct: ct))[0];
        bool balanced = frozenAt != 0
            || (withdrawn >= claimedAmount && locked == (BigInteger)supply + pendingAmount + unclaimedAmount && depositCount == nextDeposit + pendingDeposits);
        return new BridgeBalance(info.Contract.ToString(), info.EthChainId, block, status.BlockNumber,
            locked.ToString(System.Globalization.CultureInfo.InvariantCulture), depositCount, supply, nextDeposit, pendingDeposits, pendingAmount,
            withdrawals, withdrawn, (ulong)claimed.Count, claimedAmount, withdrawals - (ulong)claimed.Count, unclaimedAmount, balanced, frozenAt, exits, exitedAmount);
    }

    private static async Task<BigInteger> LockedAtAsync(EthereumRpcClient eth, BridgeCommands.BridgeInfo info, ulong block, CancellationToken ct) =>
        (BigInteger)BridgeContract.LockedFunction.DecodeOutput(
            await eth.CallAsync(info.Contract, BridgeContract.LockedFunction.EncodeCall(), block: EthereumRpcClient.Quantity(block), ct: ct))[0];
}
