using IExecChain.State.Validators;
using IExecChain.Core.Primitives;

namespace IExecChain.Consensus.Bft;

/// <summary>
/// The validators of one height, with their voting power and the proposer priorities the height
/// starts from. Immutable; thresholds use exact integer arithmetic (no rounding of 2/3).
/// </summary>
public sealed class ValidatorRoster
{
    private readonly WeightedValidator[] _validators;
    private readonly Dictionary<Address, int> _index;
    private readonly Dictionary<uint, Address> _proposers = [];

    public ValidatorRoster(IEnumerable<WeightedValidator> validators)
    {
        ArgumentNullException.ThrowIfNull(validators);
        _validators = validators.OrderBy(v => v.Address).ToArray();
        _index = new Dictionary<Address, int>(_validators.Length);
        for (int i = 0; i < _validators.Length; i++)
        {
            if (_validators[i].Power == 0) throw new ArgumentException($"validator {_validators[i].Address} has no voting power");
            if (!_index.TryAdd(_validators[i].Address, i)) throw new ArgumentException($"validator {_validators[i].Address} is listed twice");
        }
        TotalPower = ProposerRotation.TotalPower(_validators);
    }

    public IReadOnlyList<WeightedValidator> Validators => _validators;
    public int Count => _validators.Length;
    public ulong TotalPower { get; }

    public int IndexOf(Address address) => _index.TryGetValue(address, out int i) ? i : -1;
    public bool Contains(Address address) => _index.ContainsKey(address);
    public ulong PowerOf(Address address) => _index.TryGetValue(address, out int i) ? _validators[i].Power : 0;

    /// <summary>More than two thirds of the total power: enough to lock or commit.</summary>
    public bool IsQuorum(ulong power) => (UInt128)power * 3 > (UInt128)TotalPower * 2;

    /// <summary>More than one third: at least one honest validator is among them.</summary>
    public bool IsOverOneThird(ulong power) => (UInt128)power * 3 > TotalPower;

    /// <summary>The proposer of <paramref name="round"/>: the priorities advanced round + 1 steps.</summary>
    public Address ProposerFor(uint round)
    {
        lock (_proposers)
        {
            if (_proposers.TryGetValue(round, out var cached)) return cached;
            if (round > 10_000) throw new ArgumentOutOfRangeException(nameof(round), "round is implausibly high");
            var proposer = ProposerRotation.Advance((WeightedValidator[])_validators.Clone(), (int)round + 1);
            _proposers[round] = proposer;
            return proposer;
        }
    }

    /// <summary>The priorities the next height starts from when this set continues unchanged.</summary>
    public WeightedValidator[] AdvancedForNextHeight()
    {
        var next = (WeightedValidator[])_validators.Clone();
        ProposerRotation.Advance(next, 1);
        return next;
    }
}
