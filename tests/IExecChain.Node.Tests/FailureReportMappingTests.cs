using IExecChain.Core.Wire;
using IExecChain.Node.Worker;
using IExecChain.Worker.Execution;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>Which runs a worker reports on chain as "cannot run", and as what (docs/worker.md, "When a replica cannot run").</summary>
public class FailureReportMappingTests
{
    [TestCase(ExecutionStatus.InvalidModule, ReplicaFailure.InvalidApp)]
    [TestCase(ExecutionStatus.OutOfFuel, ReplicaFailure.OutOfFuel)]
    [TestCase(ExecutionStatus.OutOfMemory, ReplicaFailure.OutOfMemory)]
    [TestCase(ExecutionStatus.Trapped, ReplicaFailure.Trapped)]
    [TestCase(ExecutionStatus.OutputTooLarge, ReplicaFailure.OutputTooLarge)]
    [TestCase(ExecutionStatus.Timeout, ReplicaFailure.Timeout)]
    [TestCase(ExecutionStatus.TooManyProcesses, ReplicaFailure.TooManyProcesses)]
    public void A_run_that_ends_without_a_result_is_reported_as_what_stopped_it(ExecutionStatus status, ReplicaFailure expected) =>
        Assert.That(WorkerService.FailureOf(status), Is.EqualTo(expected));

    [TestCase(ExecutionStatus.Success)]
    [TestCase(ExecutionStatus.NonZeroExit)]
    [TestCase(ExecutionStatus.HostError)]
    public void Results_and_the_worker_s_own_trouble_are_never_reported(ExecutionStatus status) =>
        Assert.That(WorkerService.FailureOf(status), Is.Null, "an exit is a result to contribute; a host error says nothing about the app");

    [Test]
    public void Every_status_is_either_a_result_the_worker_s_own_trouble_or_reported()
    {
        foreach (var status in Enum.GetValues<ExecutionStatus>())
            if (status is not (ExecutionStatus.Success or ExecutionStatus.NonZeroExit or ExecutionStatus.HostError))
                Assert.That(WorkerService.FailureOf(status), Is.Not.Null, $"{status} is neither contributed nor reported: its replica would only time out");
    }
}
