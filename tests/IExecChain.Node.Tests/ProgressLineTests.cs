using IExecChain.Node.Cli;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

public sealed class ProgressLineTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; }
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    [Test]
    public void A_line_says_done_of_total_percent_rate_and_time_left_at_that_rate()
    {
        var line = new ProgressLine("fetching", 100 << 20, ProgressLine.Bytes, new ManualTime());
        Assert.That(line.Line(25 << 20, TimeSpan.FromSeconds(5)), Is.EqualTo("fetching: 25.0 MiB of 100.0 MiB (25%), 5.0 MiB/s, about 15 s left"));
        Assert.That(line.Line(100 << 20, TimeSpan.FromSeconds(20)), Is.EqualTo("fetching: 100.0 MiB of 100.0 MiB (100%), 5.0 MiB/s, done in 20.0 s"));
        var blocks = new ProgressLine("syncing", 1_000, ProgressLine.Items("blocks"), new ManualTime());
        Assert.That(blocks.Line(0, TimeSpan.Zero), Is.EqualTo("syncing: 0 blocks of 1000 blocks (0%), 0 blocks/s, "));
    }

    [Test]
    public void Redirected_output_gets_a_line_every_five_seconds_and_the_last_one_always()
    {
        var time = new ManualTime();
        var output = new StringWriter();
        var progress = new ProgressLine("fetching", 1_000, ProgressLine.Items("chunks"), time) { Output = output, Terminal = false };
        for (int done = 10; done <= 1_000; done += 10)
        {
            time.Advance(TimeSpan.FromMilliseconds(500));   // 100 reports over 50 s
            progress.Report(done);
        }
        progress.Report(1_000);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(11), "the first, one per 5 s after it, and the last");
        Assert.That(lines[^1], Does.EndWith("done in 50.0 s"));
        Assert.That(lines.Count(l => l.Contains("done in", StringComparison.Ordinal)), Is.EqualTo(1), "a report after the end prints nothing");
    }
}
