using IExecChain.FaultTests.Cluster;
using IExecChain.FaultTests.Lab;
using NUnit.Framework;

[assembly: NonParallelizable]
[assembly: LevelOfParallelism(1)]

namespace IExecChain.FaultTests;

/// <summary>Once per test run: remove what a dead earlier run left behind; at the end, the templates.</summary>
[SetUpFixture]
public sealed class FaultCampaign
{
    [OneTimeSetUp]
    public void RemoveLeftovers()
    {
        Prerequisites.Require();
        NetworkLab.RemoveStale();
    }

    [OneTimeTearDown]
    public void DeleteTemplates() => ClusterTemplate.DeleteAll();
}
