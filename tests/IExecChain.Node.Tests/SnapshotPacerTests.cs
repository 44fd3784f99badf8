using System.Diagnostics;
using IExecChain.Node.Snapshots;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

public sealed class SnapshotPacerTests
{
    /// <summary>A clock that advances by one millisecond of "work" per entry the consumer takes.</summary>
    private sealed class FakeClock
    {
        public long Ticks;
        public readonly List<TimeSpan> Pauses = [];
        public long Now() => Ticks;
        public void Sleep(TimeSpan pause, CancellationToken ct) { Pauses.Add(pause); Ticks += (long)(pause.TotalSeconds * Stopwatch.Frequency); }
        public IEnumerable<int> Work(int count)
        {
            for (int i = 0; i < count; i++)
            {
                Ticks += Stopwatch.Frequency / 1000;
                yield return i;
            }
        }
    }

    [TestCase(0.25, 3.0)]
    [TestCase(0.5, 1.0)]
    public void The_writer_sleeps_in_proportion_to_its_work_so_it_holds_its_share_of_a_core(double share, double sleepPerWork)
    {
        var clock = new FakeClock();
        var pacer = new SnapshotPacer(share, clock.Now, clock.Sleep);
        int entries = SnapshotPacer.Every * 3 + 100;

        var taken = pacer.Pace(clock.Work(entries)).ToList();

        Assert.That(taken, Is.EqualTo(Enumerable.Range(0, entries)), "every entry, in order");
        Assert.That(clock.Pauses, Has.Count.EqualTo(3), "one pause per full group of entries, none for the remainder");
        var work = TimeSpan.FromMilliseconds(SnapshotPacer.Every);
        foreach (var pause in clock.Pauses) Assert.That(pause.TotalMilliseconds, Is.EqualTo(work.TotalMilliseconds * sleepPerWork).Within(1));
        Assert.That(pacer.Slept.TotalMilliseconds, Is.EqualTo(3 * work.TotalMilliseconds * sleepPerWork).Within(3));
        double busy = entries / (clock.Ticks * 1000.0 / Stopwatch.Frequency);
        Assert.That(busy, Is.EqualTo(share).Within(0.02), "the share of wall time the writer worked");
    }

    [Test]
    public void At_a_whole_core_the_writer_never_sleeps()
    {
        var clock = new FakeClock();
        var pacer = new SnapshotPacer(1, clock.Now, clock.Sleep);
        Assert.That(pacer.Pace(clock.Work(SnapshotPacer.Every * 2)).Count(), Is.EqualTo(SnapshotPacer.Every * 2));
        Assert.That(clock.Pauses, Is.Empty);
    }

    [Test]
    public void A_stop_reaches_the_pause_so_a_stopping_node_does_not_wait_it_out()
    {
        using var stop = new CancellationTokenSource();
        var clock = new FakeClock();
        var pacer = new SnapshotPacer(0.0001, clock.Now, (pause, ct) =>
        {
            clock.Pauses.Add(pause);
            stop.Cancel();
            SnapshotPacer.SleepOrCancel(pause, ct);
        });
        // 8,192 ms of work at 0.01% earns a pause of ~23 hours: the stop ends it at once.
        var paced = Task.Run(() => pacer.Pace(clock.Work(SnapshotPacer.Every), stop.Token).Count());
        Assert.That(paced.Wait(TimeSpan.FromMinutes(1)), Is.True, "the pause did not end when the node stopped");
        Assert.That(paced.Result, Is.EqualTo(SnapshotPacer.Every));
        Assert.That(clock.Pauses.Single(), Is.GreaterThan(TimeSpan.FromHours(20)));
    }

    [TestCase(0.0)]
    [TestCase(-0.5)]
    [TestCase(1.01)]
    [TestCase(double.NaN)]
    public void A_share_outside_zero_to_one_is_refused(double share) =>
        Assert.That(() => new SnapshotPacer(share), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("(0, 1]"));
}
