using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Ethereum.Bridge;
using IExecChain.Ethereum.JsonRpc;
using IExecChain.State.Execution;
using IExecChain.State.Merkle;
using IExecChain.State.TxPool;
using IExecChain.State.Validators;
using Microsoft.Extensions.Logging;

namespace IExecChain.Node.Bridge;

/// <summary>
/// A validator's half of deposits (docs/bridge.md): follows the bridge contract through the
/// validator's own Ethereum endpoint and, for each confirmed deposit the chain has not credited and
/// this validator has not attested, sends an AttestDeposits transaction (up to 64 deposits each).
/// It never credits anything itself: the chain credits a deposit once validators holding more than
/// 2/3 of the power attested one content. Endpoint failures are logged and retried; the chain goes on.
/// </summary>
public sealed partial class DepositFollower : IAsyncDisposable
{
    /// <summary>Sidechain blocks after which an attestation not yet in state is sent again (it may have been dropped).</summary>
    public const ulong ResendAfterBlocks = 8;

    /// <summary>Rounds the next deposit to credit may stay unseen before the contract is asked whether it exists (and the logs read again if so).</summary>
    public const int RecheckAfterRounds = 30;

    private readonly ChainNode _node;
    private readonly PrivateKey _key;
    private readonly EthereumRpcClient _eth;
    private readonly BridgeParameters _bridge;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<ulong, ulong> _sentAt = [];
    private DepositScanner? _scanner;
    private BridgeContract? _contract;
    private int _unseenRounds;
    private bool _endpointChecked;
    private string? _lastError;
    private Task? _loop;

    public DepositFollower(ChainNode node, PrivateKey key, EthereumRpcClient eth, BridgeParameters bridge, ILogger logger, TimeSpan interval)
    {
        _node = node;
        _key = key;
        _eth = eth;
        _bridge = bridge;
        _logger = logger;
        _interval = interval;
    }

    public Uri Endpoint => _eth.Endpoint;

    /// <summary>The Ethereum head at the last look (0 before the first).</summary>
    public ulong EthereumHead => _scanner?.EthereumHead ?? 0;

    /// <summary>The first Ethereum block whose logs are not read yet.</summary>
    public ulong NextBlock => _scanner?.NextBlock ?? 0;

    /// <summary>Ethereum blocks between the head and the last block read: the confirmation depth when following, more when lagging.</summary>
    public ulong Lag => _scanner is { } s && s.EthereumHead + 1 > s.NextBlock ? s.EthereumHead + 1 - s.NextBlock : 0;

    public long AttestationsSent;
    public long DepositsAttested;
    public long Failures;
    public long Conflicts;
    public long Rereads;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        LogFollowing(_logger, _bridge.Contract.ToString(), _bridge.EthChainId, _eth.Endpoint.ToString(), _bridge.Confirmations);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RoundAsync(ct).ConfigureAwait(false);
                if (_lastError is not null) LogRecovered(_logger);
                _lastError = null;
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;   // shutting down: whatever the interrupted call threw
            }
            catch (Exception e)
            {
                // Whatever an endpoint answers (down, slow, wrong chain, malformed), following goes on
                // and consensus never waits for it. One line per distinct problem, not one per second.
                Interlocked.Increment(ref Failures);
                bool expected = e is EthereumRpcException or EthereumUnavailableException or HttpRequestException or TaskCanceledException or BridgeFollowingException;
                string message = expected ? e.Message : $"{e.GetType().Name}: {e.Message}";
                if (message != _lastError) LogRoundFailed(_logger, message);
                _lastError = message;
            }
            try { await Task.Delay(_interval, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One look at Ethereum and the chain: reads newly confirmed deposits, attests what is due.</summary>
    internal async Task RoundAsync(CancellationToken ct)
    {
        if (!_endpointChecked)
        {
            ulong chainId = await _eth.ChainIdAsync(ct).ConfigureAwait(false);
            if (chainId != _bridge.EthChainId)
                throw new BridgeFollowingException($"the Ethereum endpoint {_eth.Endpoint} is on chain {chainId}; the chain spec's bridge is on chain {_bridge.EthChainId}: no deposit is attested");
            if ((await _eth.GetCodeAsync(_bridge.Contract, ct).ConfigureAwait(false)).Length == 0)
                throw new BridgeFollowingException($"no contract at the chain spec's bridge address {_bridge.Contract} on Ethereum chain {chainId}: no deposit is attested");
            _endpointChecked = true;
        }
        if (_scanner is null)
        {
            ulong resume = _node.Processor.ReadAtHead((_, tree) => ResumeBlock(tree));
            _contract = new BridgeContract(_eth, _bridge.Contract);
            _scanner = new DepositScanner(_contract, _eth, _bridge.Confirmations, Math.Max(resume, _bridge.StartBlock));
        }
        await _scanner.AdvanceAsync(OnConflict, ct).ConfigureAwait(false);

        var me = _key.Address;
        var (height, next, isValidator, attested, balance) = _node.Processor.ReadAtHead((head, tree) =>
        {
            ulong nextId = State.Bridge.BridgeLedger.Totals(tree).NextDepositId;
            bool validator = ValidatorLedger.PowerIn(StateReader.ValidatorSet(tree), me) > 0;
            var mine = new HashSet<ulong>();
            if (validator)
            {
                var raw = ByteString.CopyFrom(me.ToArray());
                foreach (var deposit in _scanner.Range(nextId, nextId + _bridge.MaxDepositsAhead))
                    if (tree.Get(StateKeys.DepositAttestations(deposit.Id)) is { } bytes
                        && DepositAttestations.Parser.ParseFrom(bytes).Candidates.Any(c => c.Attesters.Contains(raw)))
                        mine.Add(deposit.Id);
            }
            return (head.Height, nextId, validator, mine, StateReader.Account(tree, me).Balance);
        });
        _scanner.ForgetBelow(next);
        await RecheckUnseenAsync(next, ct).ConfigureAwait(false);
        foreach (var id in _sentAt.Keys.Where(id => id < next || attested.Contains(id)).ToList()) _sentAt.Remove(id);
        if (!isValidator) return;

        var batch = new AttestDeposits();
        foreach (var deposit in _scanner.Range(next, next + _bridge.MaxDepositsAhead))
        {
            if (attested.Contains(deposit.Id)) continue;
            if (_sentAt.TryGetValue(deposit.Id, out ulong sentAt) && height < sentAt + ResendAfterBlocks) continue;
            batch.Deposits.Add(ToWire(deposit));
            if (batch.Deposits.Count == TransactionCodec.MaxAttestedDeposits) break;
        }
        if (batch.Deposits.Count == 0) return;
        ulong fee = _node.Processor.Executor.Parameters.Fees.Bridge;
        if (balance < fee)
            throw new BridgeFollowingException($"validator {me} holds {balance} nRLC, less than the bridge fee {fee} nRLC an attestation pays: send it RLC to attest deposits {batch.Deposits[0].Id}..{batch.Deposits[^1].Id}");
        Submit(batch, height);
    }

    /// <summary>
    /// An endpoint behind a load balancer, or still syncing, can report a head and yet answer no logs
    /// for blocks below it; those blocks are then read and never again. When the next deposit to
    /// credit stays unseen, the contract is asked (at the last block read) whether it exists, and if
    /// it does the logs are read again from where this validator resumes.
    /// </summary>
    private async Task RecheckUnseenAsync(ulong next, CancellationToken ct)
    {
        if (_scanner!.Range(next, next + 1).Any() || _scanner.NextBlock == 0)
        {
            _unseenRounds = 0;
            return;
        }
        if (++_unseenRounds < RecheckAfterRounds) return;
        _unseenRounds = 0;
        if (await _contract!.DepositCountAtAsync(_scanner.NextBlock - 1, ct).ConfigureAwait(false) <= next) return;
        ulong from = Math.Max(_node.Processor.ReadAtHead((_, tree) => ResumeBlock(tree)), _bridge.StartBlock);
        Interlocked.Increment(ref Rereads);
        LogRereading(_logger, next, _scanner.NextBlock - 1, from);
        _scanner.Rewind(from);
    }

    private void Submit(AttestDeposits batch, ulong height)
    {
        var body = new TransactionBody
        {
            ChainId = _node.Spec.ChainId,
            Nonce = _node.Mempool.NextNonce(_key.Address),
            Fee = _node.Processor.Executor.Parameters.Fees.Bridge,
            AttestDeposits = batch,
        };
        var raw = TransactionCodec.Sign(body, _key);
        if (!TransactionCodec.TryDecode(raw, _node.Spec.ChainId, _node.Spec.Parameters.MaxTransactionBytes, out var tx, out var error))
            throw new InvalidOperationException($"an attestation this node signed does not decode: {error}");
        var added = _node.Mempool.Add(tx!);
        if (added.Kind is not (MempoolResultKind.Accepted or MempoolResultKind.Duplicate))
            throw new BridgeFollowingException($"the mempool refused this validator's attestation of deposits {batch.Deposits[0].Id}..{batch.Deposits[^1].Id}: {added.Reason}");
        foreach (var deposit in batch.Deposits) _sentAt[deposit.Id] = height;
        Interlocked.Increment(ref AttestationsSent);
        Interlocked.Add(ref DepositsAttested, batch.Deposits.Count);
        LogAttested(_logger, batch.Deposits.Count, batch.Deposits[0].Id, batch.Deposits[^1].Id, body.Nonce);
    }

    /// <summary>Where reading resumes: the Ethereum block of the last credited deposit (later deposits are in it or after it).</summary>
    private static ulong ResumeBlock(StateTree tree)
    {
        ulong next = State.Bridge.BridgeLedger.Totals(tree).NextDepositId;
        if (next == 0 || tree.Get(StateKeys.Deposit(next - 1)) is not { } bytes) return 0;
        return CreditedDeposit.Parser.ParseFrom(bytes).Deposit.EthBlockNumber;
    }

    private void OnConflict(BridgeDepositEvent kept, BridgeDepositEvent other)
    {
        Interlocked.Increment(ref Conflicts);
        LogConflict(_logger, kept.Id, kept.TransactionHash.ToString(), kept.BlockNumber, other.TransactionHash.ToString(), other.BlockNumber);
    }

    internal static BridgeDeposit ToWire(BridgeDepositEvent deposit) => new()
    {
        Id = deposit.Id,
        Depositor = ByteString.CopyFrom(deposit.Depositor.ToArray()),
        Recipient = ByteString.CopyFrom(deposit.Recipient.ToArray()),
        Amount = deposit.Amount,
        EthTxHash = ByteString.CopyFrom(deposit.TransactionHash.ToArray()),
        EthBlockNumber = deposit.BlockNumber,
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _eth.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "following bridge {Contract} on Ethereum chain {EthChainId} through {Endpoint}, {Confirmations} confirmations")]
    private static partial void LogFollowing(ILogger logger, string contract, ulong ethChainId, string endpoint, ulong confirmations);

    [LoggerMessage(Level = LogLevel.Information, Message = "attested {Count} deposit(s) {First}..{Last} (nonce {Nonce})")]
    private static partial void LogAttested(ILogger logger, int count, ulong first, ulong last, ulong nonce);

    [LoggerMessage(Level = LogLevel.Warning, Message = "bridge following: {Error}; retrying")]
    private static partial void LogRoundFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "bridge following recovered")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "deposit {Id} exists by block {Block} but the endpoint's logs did not show it: reading again from block {From}")]
    private static partial void LogRereading(ILogger logger, ulong id, ulong block, ulong from);

    [LoggerMessage(Level = LogLevel.Error, Message = "the Ethereum endpoint logged deposit {Id} twice with different contents ({Tx} in block {Block}, then {OtherTx} in block {OtherBlock}); keeping the first")]
    private static partial void LogConflict(ILogger logger, ulong id, string tx, ulong block, string otherTx, ulong otherBlock);
}

/// <summary>Following Ethereum cannot go on as configured (wrong chain, no contract, a refused attestation).</summary>
public sealed class BridgeFollowingException(string message) : Exception(message);
