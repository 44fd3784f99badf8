using IExecChain.Consensus.Bft;
using NUnit.Framework;

namespace IExecChain.Consensus.Tests;

public sealed class CatchUpProgressTests
{
    [Test]
    public void A_node_far_behind_logs_blocks_rate_and_time_left_every_interval_then_once_when_caught_up()
    {
        var progress = new CatchUpProgress(intervalMs: 5_000);
        Assert.That(progress.Report(1_000, 11_000, nowMs: 0), Is.EqualTo("catching up: block 1000 of 11000, 10000 behind"));
        Assert.That(progress.Report(1_500, 11_000, nowMs: 4_999), Is.Null, "not before the interval");
        // 1,000 blocks in 5 s since the start: 200 blocks/s, 9,000 left = 45 s.
        Assert.That(progress.Report(2_000, 11_000, nowMs: 5_000), Is.EqualTo("catching up: block 2000 of 11000 (18.2%), 200.0 blocks/s, about 45.0 s left"));
        Assert.That(progress.Report(2_100, 11_000, nowMs: 6_000), Is.Null);
        // 10,000 blocks in 250 s: the time is given in minutes past two of them.
        Assert.That(progress.Report(11_000, 11_000, nowMs: 250_000), Is.EqualTo("caught up at block 11000: 10000 blocks in 4.2 min"));
        Assert.That(progress.Report(11_001, 11_002, nowMs: 260_000), Is.Null, "following a block or two behind is not catching up");
    }

    [Test]
    public void A_node_a_few_blocks_behind_never_logs_catch_up()
    {
        var progress = new CatchUpProgress();
        for (ulong h = 1; h < 500; h++)
            Assert.That(progress.Report(h, h + CatchUpProgress.MinimumGap - 1, nowMs: (long)h * 1_000), Is.Null);
    }
}
