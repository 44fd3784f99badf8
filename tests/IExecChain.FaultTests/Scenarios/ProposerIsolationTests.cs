using IExecChain.Core.Primitives;
using IExecChain.FaultTests.Checks;
using IExecChain.FaultTests.Cluster;
using IExecChain.State.Validators;
using NUnit.Framework;

namespace IExecChain.FaultTests.Scenarios;

/// <summary>The worst single fault for a round-robin proposer: whoever proposes next is cut off, height after height.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ProposerIsolationTests
{
    private static IEnumerable<int> Counts => FaultSettings.Validators(4);

    [TestCaseSource(nameof(Counts))]
    [Category("proposer")]
    public async Task Isolating_each_next_proposer_costs_rounds_but_every_height_is_decided(int validators)
    {
        await using var run = await ScenarioRun.StartAsync("proposer", validators);
        int heights = FaultSettings.Count(5, 30);
        var addresses = run.All.ToDictionary(i => ValidatorCluster.Validator(i).ToString(), i => i, StringComparer.OrdinalIgnoreCase);
        int effective = 0, late = 0, maxRound = 0;
        var waits = new List<double>();
        var catchUps = new List<double>();
        for (int k = 0; k < heights; k++)
        {
            int reader = k % validators;
            var (head, set) = await run.Chain.ValidatorSetAsync(reader);
            // iex_getValidators holds the priorities for head + 1; round 0 of head + 2 is two steps on
            // (priorities advance once per block, whatever round decided it: docs/consensus.md).
            ulong target = head + 2;
            var weighted = set.Select(v => new WeightedValidator(Address.Parse(v.Address), v.Power, v.Priority)).ToArray();
            int proposer = addresses[ProposerRotation.Advance(weighted, 2).ToString()];
            run.Cluster.Lab.Isolate(proposer);
            run.Cluster.SetCutOff(proposer, true);
            var others = run.All.Where(i => i != proposer).ToArray();
            var (node, elapsed) = await run.Chain.WaitForAnyHeightAsync(others, target, ScenarioRun.RecoveryBound, $"height {target} without its proposer (node {proposer})");
            var block = (await run.Chain.BlockAsync(node, target))!;
            waits.Add(elapsed.TotalSeconds);
            maxRound = Math.Max(maxRound, block.Round);
            bool byIsolated = addresses[block.Proposer] == proposer;
            if (block.Round == 0)
                Assert.That(byIsolated, Is.True, $"height {target} was decided in round 0 by {block.Proposer}, not by the predicted proposer (node {proposer}): the prediction is wrong");
            if (byIsolated) late++;   // it proposed before the rules landed: that height had its proposer
            else effective++;

            run.Cluster.Lab.Heal();
            run.Cluster.SetCutOff(proposer, false);
            ulong now = await run.Chain.MaxHeightAsync(others);
            catchUps.Add((await run.Chain.WaitForHeightAsync([proposer], now, ScenarioRun.RecoveryBound, $"node {proposer} catching up after its isolation")).TotalSeconds);
        }
        run.Figures.Add("heights whose proposer was isolated in time / too late", $"{effective} / {late}");
        run.Figures.Add("time to decide a height without its proposer: mean / max", $"{waits.Average():0.00} / {waits.Max():0.00} s");
        run.Figures.Add("highest commit round of those heights", maxRound);
        run.Figures.Add("isolated proposer back at the head after heal: mean / max", $"{catchUps.Average():0.00} / {catchUps.Max():0.00} s");
        Assert.That(effective, Is.GreaterThan(0), "no height was decided without its proposer: the scenario did not test what it says");
        await run.FinishAsync();
    }
}
