using System.Diagnostics;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.Node.Devnet;
using IExecChain.Rpc.Contracts.Client;

namespace IExecChain.FaultTests.Cluster;

/// <summary>
/// A steady transfer load during a scenario: <c>rate</c> transfers per second among dev accounts
/// 1-9, one batch every 100 ms, sent to the nodes that accept load in turn. A transfer is a pure
/// function of (sender, nonce), so sending one again after a failure is a harmless duplicate, and a
/// sender that lost track (a node died with its mempool) restarts from its committed nonce.
/// </summary>
internal sealed class SteadyLoad : IAsyncDisposable
{
    private const ulong ChainId = 1337;
    private const ulong TransferFee = 1000;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly ValidatorCluster _cluster;
    private readonly int _rate;
    private readonly PrivateKey[] _senders = Enumerable.Range(1, DevnetCommand.DevAccounts - 1).Select(DevKeys.Account).ToArray();
    private readonly ulong[] _nonces;
    private readonly bool[] _stale;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _task;
    private long _submitted, _accepted;

    public SteadyLoad(ValidatorCluster cluster, int rate)
    {
        _cluster = cluster;
        _rate = rate;
        _nonces = new ulong[_senders.Length];
        _stale = Enumerable.Repeat(true, _senders.Length).ToArray();
        _task = Task.Run(RunAsync);
    }

    public long Submitted => Interlocked.Read(ref _submitted);
    public long Accepted => Interlocked.Read(ref _accepted);

    private async Task RunAsync()
    {
        var clients = _cluster.All.Select(i => new JsonRpcClient(_cluster.Rpc(i), TimeSpan.FromSeconds(3))).ToArray();
        try
        {
            var started = Stopwatch.GetTimestamp();
            long sent = 0;
            int target = 0;
            while (!_stop.IsCancellationRequested)
            {
                long due = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * _rate);
                int count = (int)Math.Min(due - sent, _rate);   // after a stall, catch up at most one second
                sent = Math.Max(sent + count, due - _rate);
                target = NextTarget(target);
                if (count > 0 && target >= 0) await SendBatchAsync(clients[target], count);
                try { await Task.Delay(Tick, _stop.Token); } catch (OperationCanceledException) { }
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    private int NextTarget(int previous)
    {
        for (int k = 1; k <= _cluster.Count; k++)
        {
            int i = (previous + k) % _cluster.Count;
            if (_cluster.AcceptsLoad(i)) return i;
        }
        return -1;
    }

    private async Task SendBatchAsync(JsonRpcClient client, int count)
    {
        try
        {
            for (int s = 0; s < _senders.Length; s++)
            {
                if (!_stale[s]) continue;
                var account = await client.CallAsync("iex_getAccount", _senders[s].Address.ToString());
                _nonces[s] = JsonRpcClient.Quantity(account.GetProperty("nonce"));
                _stale[s] = false;
            }
            var batch = new List<object?[]>(count);
            var from = new int[count];
            for (int k = 0; k < count; k++)
            {
                int s = k % _senders.Length;
                from[k] = s;
                batch.Add([Hex.Encode(Transfer(s, _nonces[s]++))]);
            }
            Interlocked.Add(ref _submitted, count);
            var results = await client.CallBatchAsync("iex_sendRawTransaction", batch, _stop.Token);
            for (int k = 0; k < results.Count; k++)
            {
                var error = results[k].Error;
                if (error is null || error.Message.Contains("already pending", StringComparison.Ordinal)) Interlocked.Increment(ref _accepted);
                else _stale[from[k]] = true;   // a gap, a full pool, an unreachable node: resynchronize this sender
            }
        }
        catch (JsonRpcClientException)
        {
            Array.Fill(_stale, true);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private byte[] Transfer(int sender, ulong nonce) => TransactionCodec.Sign(new TransactionBody
    {
        ChainId = ChainId,
        Nonce = nonce,
        Fee = TransferFee,
        Transfer = new Transfer { To = ByteString.CopyFrom(_senders[(sender + 1) % _senders.Length].Address.ToArray()), Amount = 1 },
    }, _senders[sender]);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _task;
        _stop.Dispose();
    }
}
