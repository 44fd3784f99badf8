using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Merkle;

namespace IExecChain.State.Execution;

/// <summary>
/// The state as seen while executing one block: reads fall through to the committed tree, writes
/// stay here until <see cref="CollectChanges"/>. Decoded records are cached so a hot account is
/// parsed once per block and serialized once at the end, however many transactions touch it.
/// </summary>
public sealed class WorldState
{
    private readonly StateTree _tree;
    private readonly Dictionary<Address, AccountRecord> _accounts = [];
    private readonly Dictionary<Address, StakeRecord> _stakes = [];
    private readonly HashSet<Address> _dirtyAccounts = [];
    private readonly HashSet<Address> _dirtyStakes = [];
    private readonly Dictionary<Hash256, byte[]?> _raw = [];

    public WorldState(StateTree tree) => _tree = tree;

    public Hash256 BaseRoot => _tree.Root;

    /// <summary>The account record for mutation; call <see cref="MarkAccountDirty"/> after changing it.</summary>
    public AccountRecord GetAccount(Address address)
    {
        if (_accounts.TryGetValue(address, out var account)) return account;
        var bytes = _tree.Get(StateKeys.Account(address));
        account = bytes is null ? new AccountRecord() : AccountRecord.Parser.ParseFrom(bytes);
        _accounts[address] = account;
        return account;
    }

    public void MarkAccountDirty(Address address) => _dirtyAccounts.Add(address);

    public StakeRecord GetStake(Address address)
    {
        if (_stakes.TryGetValue(address, out var stake)) return stake;
        var bytes = _tree.Get(StateKeys.Stake(address));
        stake = bytes is null ? new StakeRecord() : StakeRecord.Parser.ParseFrom(bytes);
        _stakes[address] = stake;
        return stake;
    }

    public void MarkStakeDirty(Address address) => _dirtyStakes.Add(address);

    public T? GetRecord<T>(Hash256 key, MessageParser<T> parser) where T : class, IMessage<T>
    {
        var bytes = _raw.TryGetValue(key, out var pending) ? pending : _tree.Get(key);
        return bytes is null ? null : parser.ParseFrom(bytes);
    }

    /// <summary>Stores a record; null deletes it.</summary>
    public void SetRecord(Hash256 key, IMessage? record) => _raw[key] = record?.ToByteArray();

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
