using IExecChain.Core.Wire;
using IExecChain.State.TxPool;
using NUnit.Framework;

namespace IExecChain.State.Tests;

/// <summary>The admission budget on a virtual clock: capacity measured from committed blocks, refusals with a retry hint.</summary>
public class AdmissionControlTests
{
    private const TransactionBody.PayloadOneofCase Transfer = TransactionBody.PayloadOneofCase.Transfer;

    private sealed class Lab
    {
        public long NowMs;
        public int Pending;
        public readonly AdmissionControl Admission;

        public Lab(AdmissionOptions? options = null) => Admission = new AdmissionControl(options ?? new AdmissionOptions(), () => Pending, () => NowMs);

        /// <summary>Commits a block of <paramref name="transactions"/> every <paramref name="intervalMs"/> for <paramref name="durationMs"/>.</summary>
        public void Commit(int transactions, int intervalMs, int durationMs)
        {
            for (int t = 0; t < durationMs; t += intervalMs)
            {
                NowMs += intervalMs;
                Admission.OnBlockCommitted(transactions);
            }
        }
    }

    [Test]
    public void An_idle_node_admits_its_minimum_budget_and_limits_senders_only_past_half_of_it()
    {
        var lab = new Lab(new AdmissionOptions { MinBudget = 2000 });
        Assert.That(lab.Admission.Capacity, Is.Zero);
        Assert.That(lab.Admission.Budget, Is.EqualTo(2000));

        lab.Pending = 999;
        Assert.That(lab.Admission.Check(Transfer), Is.EqualTo(new Admission(true, int.MaxValue, null, 0)), "below half: no sender limit");
        lab.Pending = 1000;
        Assert.That(lab.Admission.Check(Transfer).SenderLimit, Is.EqualTo(125), "past half: a sender may hold 1/16 of the budget");
        lab.Pending = 1999;
        Assert.That(lab.Admission.Check(Transfer).Admitted, Is.True);

        lab.Pending = 2000;
        var refused = lab.Admission.Check(Transfer);
        Assert.That(refused.Admitted, Is.False);
        Assert.That(refused.Refusal, Is.EqualTo("node is busy: 2000 transactions pending, over its admission budget of 2000 (0 tx/s committed × 1000 ms); retry in 1000 ms"));
        Assert.That(refused.RetryAfterMs, Is.EqualTo(1000), "no capacity measured yet: a second");
        Assert.That(lab.Admission.RefusedBusy, Is.EqualTo(1));
    }

    [Test]
    public void The_budget_follows_the_committed_rate_and_the_wait_is_the_time_to_commit_down_to_half_of_it()
    {
        var lab = new Lab(new AdmissionOptions { MinBudget = 100, TargetQueueMs = 500, MinRetryAfterMs = 300 });
        lab.Commit(transactions: 1000, intervalMs: 200, durationMs: 4000); // 5,000 tx/s
        Assert.That(lab.Admission.Capacity, Is.EqualTo(5000).Within(1));
        Assert.That(lab.Admission.Budget, Is.EqualTo(2500));

        lab.Pending = 2499;
        Assert.That(lab.Admission.Check(Transfer).Admitted, Is.True);
        lab.Pending = 4250;
        var refused = lab.Admission.Check(Transfer);
        Assert.That(refused.Admitted, Is.False);
        Assert.That(refused.RetryAfterMs, Is.EqualTo(600), "(4,250 − 1,250) / 5,000 tx/s");
        lab.Pending = 2600;
        Assert.That(lab.Admission.Check(Transfer).RetryAfterMs, Is.EqualTo(300), "(2,600 − 1,250) / 5,000 tx/s is 270 ms: never sooner than the minimum");
        lab.Pending = 1_000_000;
        Assert.That(lab.Admission.Check(Transfer).RetryAfterMs, Is.EqualTo(AdmissionOptions.MaxRetryAfterMs), "nor later than the maximum");
    }

    [Test]
    public void The_capacity_shown_is_remembered_with_a_half_life_when_the_load_falls()
    {
        var lab = new Lab(new AdmissionOptions { MinBudget = 100, CapacityHalfLifeMs = 30_000 });
        lab.Commit(transactions: 1000, intervalMs: 200, durationMs: 4000);
        Assert.That(lab.Admission.Capacity, Is.EqualTo(5000).Within(1));
        // Thirty seconds of small blocks: the rate measured is 50 tx/s, the capacity halves.
        lab.Commit(transactions: 10, intervalMs: 200, durationMs: 30_000);
        Assert.That(lab.Admission.Capacity, Is.EqualTo(2500).Within(25));
        // A higher rate is taken at once.
        lab.Commit(transactions: 2000, intervalMs: 200, durationMs: 4000);
        Assert.That(lab.Admission.Capacity, Is.EqualTo(10_000).Within(1));
    }

    [Test]
    public void Protocol_duties_keep_a_reserve_above_the_budget()
    {
        var lab = new Lab(new AdmissionOptions { MinBudget = 1000, DutyReservePercent = 50 });
        lab.Pending = 1200;
        Assert.That(lab.Admission.Check(Transfer).Admitted, Is.False);
        foreach (var duty in new[] { TransactionBody.PayloadOneofCase.Contribute, TransactionBody.PayloadOneofCase.Reveal, TransactionBody.PayloadOneofCase.Vote, TransactionBody.PayloadOneofCase.AnchorReceipt })
            Assert.That(lab.Admission.Check(duty), Is.EqualTo(new Admission(true, int.MaxValue, null, 0)), $"{duty} within the reserve, whatever its sender holds");
        lab.Pending = 1500;
        Assert.That(lab.Admission.Check(TransactionBody.PayloadOneofCase.Reveal).Admitted, Is.False, "the reserve is bounded too");
        Assert.That(lab.Admission.Check(TransactionBody.PayloadOneofCase.PlaceOrder).Admitted, Is.False, "an order is not a duty");
    }

    [Test]
    public void Settings_that_cannot_work_are_named()
    {
        var errors = new AdmissionOptions { TargetQueueMs = 0, MinBudget = -1, MinRetryAfterMs = 20_000 }.Validate();
        Assert.That(errors, Has.Some.Contains("targetQueueMs 0"));
        Assert.That(errors, Has.Some.Contains("minBudget -1"));
        Assert.That(errors, Has.Some.Contains("minRetryAfterMs 20000: must be from 1 to 10000"));
        Assert.That(new AdmissionOptions().Validate(), Is.Empty);
    }
}
