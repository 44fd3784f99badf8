using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;

namespace IExecChain.State.Execution;

/// <summary>
/// The state as seen while executing one block: reads fall through to the committed tree, writes
/// stay here until <see cref="CollectChanges"/>. Decoded records are cached so a hot account is
/// parsed once per block and serialized once at the end, however many transactions touch it.
/// Between <see cref="BeginTransaction"/> and its commit or rollback every change is also logged, so a
/// failed transaction leaves nothing behind but what was done before it began (its fee and nonce).
/// </summary>
public sealed class WorldState
{
    private readonly StateTree _tree;
    private readonly Dictionary<Address, AccountRecord> _accounts = [];
    private readonly Dictionary<Address, StakeRecord> _stakes = [];
    private readonly HashSet<Address> _dirtyAccounts = [];
    private readonly HashSet<Address> _dirtyStakes = [];
    private readonly Dictionary<Hash256, byte[]?> _raw = [];
    private readonly UndoLog<Address, AccountRecord> _accountLog = new(a => a.Clone());
    private readonly UndoLog<Address, StakeRecord> _stakeLog = new(s => s.Clone());
    private readonly Dictionary<Hash256, (bool Present, byte[]? Value)> _rawBefore = [];
    private bool _inTransaction;

    public WorldState(StateTree tree) => _tree = tree;

    /// <summary>From here until <see cref="CommitTransaction"/> or <see cref="RollbackTransaction"/>, changes can be taken back.</summary>
    public void BeginTransaction()
    {
        if (_inTransaction) throw new InvalidOperationException("a transaction is already open on this state");
        _inTransaction = true;
    }

    public void CommitTransaction()
    {
        _inTransaction = false;
        _accountLog.Clear();
        _stakeLog.Clear();
        _rawBefore.Clear();
    }

    /// <summary>Puts every record the open transaction changed back as it was when the transaction began.</summary>
    public void RollbackTransaction()
    {
        _inTransaction = false;
        _accountLog.Rollback(_accounts, _dirtyAccounts);
        _stakeLog.Rollback(_stakes, _dirtyStakes);
        foreach (var (key, (present, value)) in _rawBefore)
        {
            if (present) _raw[key] = value;
            else _raw.Remove(key);
        }
        _rawBefore.Clear();
    }

    public Hash256 BaseRoot => _tree.Root;

    /// <summary>The account record for mutation; call <see cref="MarkAccountDirty"/> after changing it.</summary>
    public AccountRecord GetAccount(Address address)
    {
        if (_inTransaction) _accountLog.Touch(address, _accounts);
        if (_accounts.TryGetValue(address, out var account)) return account;
        var bytes = _tree.Get(StateKeys.Account(address));
        account = bytes is null ? new AccountRecord() : AccountRecord.Parser.ParseFrom(bytes);
        _accounts[address] = account;
        return account;
    }

    public void MarkAccountDirty(Address address)
    {
        if (_inTransaction) _accountLog.MarkDirty(address, _dirtyAccounts);
        else _dirtyAccounts.Add(address);
    }

    /// <summary>The stake record for mutation; call <see cref="MarkStakeDirty"/> after changing it.</summary>
    public StakeRecord GetStake(Address address)
    {
        if (_inTransaction) _stakeLog.Touch(address, _stakes);
        if (_stakes.TryGetValue(address, out var stake)) return stake;
        var bytes = _tree.Get(StateKeys.Stake(address));
        stake = bytes is null ? new StakeRecord() : StakeRecord.Parser.ParseFrom(bytes);
        _stakes[address] = stake;
        return stake;
    }

    public void MarkStakeDirty(Address address)
    {
        if (_inTransaction) _stakeLog.MarkDirty(address, _dirtyStakes);
        else _dirtyStakes.Add(address);
    }

    public T? GetRecord<T>(Hash256 key, MessageParser<T> parser) where T : class, IMessage<T>
    {
        var bytes = _raw.TryGetValue(key, out var pending) ? pending : _tree.Get(key);
        return bytes is null ? null : parser.ParseFrom(bytes);
    }

    /// <summary>Stores a record; null deletes it.</summary>
    public void SetRecord(Hash256 key, IMessage? record)
    {
        if (_inTransaction && !_rawBefore.ContainsKey(key))
            _rawBefore[key] = _raw.TryGetValue(key, out var before) ? (true, before) : (false, null);
        _raw[key] = record?.ToByteArray();
    }

    /// <summary>Every changed key with its new encoding, sorted by key; empty records are deleted.</summary>
    public List<KeyValuePair<Hash256, byte[]?>> CollectChanges()
    {
        var changes = new List<KeyValuePair<Hash256, byte[]?>>(_dirtyAccounts.Count + _dirtyStakes.Count + _raw.Count);
        foreach (var address in _dirtyAccounts)
        {
            var a = _accounts[address];
            bool empty = a.Balance == 0 && a.Frozen == 0 && a.Nonce == 0;
            changes.Add(new(StateKeys.Account(address), empty ? null : a.ToByteArray()));
        }
        foreach (var address in _dirtyStakes)
        {
            var s = _stakes[address];
            bool empty = s.ValidatorStake == 0 && s.WorkerStake == 0 && s.Unbonding.Count == 0;
            changes.Add(new(StateKeys.Stake(address), empty ? null : s.ToByteArray()));
        }
        foreach (var (key, value) in _raw) changes.Add(new(key, value));
        changes.Sort((x, y) => x.Key.CompareTo(y.Key));
        return changes;
    }
}
