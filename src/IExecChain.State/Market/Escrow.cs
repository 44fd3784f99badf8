using IExecChain.Core.Primitives;
using IExecChain.State.Execution;

namespace IExecChain.State.Market;

/// <summary>
/// The only market code that moves nRLC: locks (an order's cost or pool stake, a contribution's worker
/// stake, a challenge bond, a winner's pending reward) are frozen on the owner's account and later
/// unfrozen, or seized and credited to someone else or to the kitty (the market's pot of seized funds,
/// from which spot-check verifiers are paid).
/// </summary>
internal sealed class Escrow
{
    private readonly MarketBlock _block;
    private readonly WorldState _state;

    internal Escrow(MarketBlock block, WorldState state)
    {
        _block = block;
        _state = state;
    }

    /// <summary>What <paramref name="owner"/> could lock now.</summary>
    public ulong Balance(Address owner) => _state.GetAccount(owner).Balance;

    public void Freeze(Address owner, ulong amount)
    {
        if (amount == 0) return;
        var account = _state.GetAccount(owner);
        account.Balance = checked(account.Balance - amount);
        account.Frozen = checked(account.Frozen + amount);
        _state.MarkAccountDirty(owner);
    }

    public void Unfreeze(Address owner, ulong amount)
    {
        if (amount == 0) return;
        var account = _state.GetAccount(owner);
        account.Frozen = checked(account.Frozen - amount);
        account.Balance = checked(account.Balance + amount);
        _state.MarkAccountDirty(owner);
    }

    /// <summary>Takes frozen funds off an account (they leave it: the caller credits them elsewhere).</summary>
    public void Seize(Address owner, ulong amount)
    {
        if (amount == 0) return;
        var account = _state.GetAccount(owner);
        account.Frozen = checked(account.Frozen - amount);
        _state.MarkAccountDirty(owner);
    }

    public void SeizeToKitty(Address owner, ulong amount)
    {
        Seize(owner, amount);
        AddToKitty(amount);
    }

    public void AddToKitty(ulong amount)
    {
        if (amount == 0) return;
        _block.Totals.Kitty = checked(_block.Totals.Kitty + amount);
        _block.TotalsChanged();
    }

    public void Credit(Address to, ulong amount)
    {
        if (amount == 0) return;
        var account = _state.GetAccount(to);
        account.Balance = checked(account.Balance + amount);
        _state.MarkAccountDirty(to);
    }

    /// <summary>Pays each of <paramref name="to"/> up to <paramref name="each"/> out of the kitty, in order, while it lasts; returns the total paid.</summary>
    public ulong PayFromKitty(List<Address> to, ulong each)
    {
        ulong paid = 0;
        foreach (var address in to)
        {
            ulong reward = Math.Min(each, _block.Totals.Kitty);
            _block.Totals.Kitty -= reward;
            Credit(address, reward);
            paid += reward;
        }
        _block.TotalsChanged();
        return paid;
    }

    /// <summary>
    /// Gives up tasks a deal never started: the requester's lock for them goes back, the pool owner's stake
    /// for them goes to the kitty. The caller marks the totals changed (it counts the failed tasks there too).
    /// </summary>
    public void ReturnUnstarted(Address requester, ulong refund, Address poolOwner, ulong seized)
    {
        var account = _state.GetAccount(requester);
        account.Frozen = checked(account.Frozen - refund);
        account.Balance = checked(account.Balance + refund);
        _state.MarkAccountDirty(requester);
        var owner = _state.GetAccount(poolOwner);
        owner.Frozen = checked(owner.Frozen - seized);
        _state.MarkAccountDirty(poolOwner);
        _block.Totals.Kitty = checked(_block.Totals.Kitty + seized);
    }

    /// <summary>Applies a task's settlement: the locks it releases leave their accounts, then its credits arrive.</summary>
    public void Apply(Settlement settlement)
    {
        foreach (var r in settlement.Releases) Seize(r.From, r.Amount);
        foreach (var c in settlement.Credits)
        {
            if (c.Kind == CreditKind.Kitty) AddToKitty(c.Amount);
            else Credit(c.To, c.Amount);
        }
    }
}
