using System.Text;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace IExecChain.Rpc.Tests.Hostile;

[TestFixture]
public sealed class ClientErrorLogTests
{
    [Test]
    public void A_flood_of_one_kind_writes_one_line_a_minute_with_the_count_of_the_rest()
    {
        var logger = new CapturingLogger();
        var time = new ManualTime();
        var log = new ClientErrorLog(logger, time);

        for (int i = 0; i < 10_000; i++) log.Report(ClientErrorKind.InvalidRequest, $"bad id {i}");
        Assert.That(logger.Lines, Has.Count.EqualTo(1));

        time.Advance(TimeSpan.FromSeconds(59));
        log.Report(ClientErrorKind.InvalidRequest, "still inside the minute");
        Assert.That(logger.Lines, Has.Count.EqualTo(1));

        time.Advance(TimeSpan.FromSeconds(1));
        log.Report(ClientErrorKind.InvalidRequest, "next minute");
        Assert.That(logger.Lines, Has.Count.EqualTo(2));
        Assert.That(logger.Lines[1].Text, Does.Contain("next minute").And.Contain("10000 more of this kind"));
        Assert.That(log.Total, Is.EqualTo(10_002));
    }

    [Test]
    public void Each_kind_has_its_own_line()
    {
        var logger = new CapturingLogger();
        var log = new ClientErrorLog(logger, new ManualTime());

        foreach (ClientErrorKind kind in Enum.GetValues<ClientErrorKind>())
            for (int i = 0; i < 3; i++) log.Report(kind, "x");

        Assert.That(logger.Lines, Has.Count.EqualTo(Enum.GetValues<ClientErrorKind>().Length));
    }

    [Test]
    public void A_handler_failure_keeps_its_stack_trace_once_a_minute()
    {
        var logger = new CapturingLogger();
        var log = new ClientErrorLog(logger, new ManualTime());

        for (int i = 0; i < 100; i++) log.ReportHandlerFailure("test_fail", new InvalidOperationException("bug"));

        Assert.That(logger.Lines, Has.Count.EqualTo(1));
        Assert.That(logger.Lines[0].Exception, Is.Not.Null);
        Assert.That(logger.Lines[0].Level, Is.EqualTo(LogLevel.Error));
    }

    [Test]
    public async Task Bad_requests_through_the_dispatcher_write_one_line_and_no_stack_trace()
    {
        var logger = new CapturingLogger();
        var registry = new RpcMethodRegistry();
        registry.Register("test_echo", (p, _) => ValueTask.FromResult<object?>(p.GetString(0, "value")));
        var dispatcher = new JsonRpcDispatcher(registry, logger);

        for (int i = 0; i < 1000; i++)
            await dispatcher.HandleAsync(Encoding.UTF8.GetBytes($$"""{"jsonrpc":"2.0","id":"\ud800{{i}}","method":"test_echo","params":["x"]}"""), CancellationToken.None);

        Assert.That(logger.Lines, Has.Count.EqualTo(1));
        Assert.That(logger.Lines[0].Exception, Is.Null);
        Assert.That(logger.Lines[0].Text.Length, Is.LessThan(400));
    }
}
