using IExecChain.Consensus.Bft;
using NUnit.Framework;

namespace IExecChain.Consensus.Tests.Simulated;

/// <summary>
/// Safety and liveness of the engine over a simulated network, thousands of seeded runs. A failure
/// message names the seed, which reproduces the run exactly.
/// </summary>
[TestFixture]
public sealed class SimulationTests
{
    private const ulong Heights = 12;

    private static Behaviour[] Validators(int honest, int equivocating = 0, int silent = 0) =>
        [.. Enumerable.Repeat(Behaviour.Honest, honest), .. Enumerable.Repeat(Behaviour.Equivocating, equivocating), .. Enumerable.Repeat(Behaviour.Silent, silent)];

    private static Simulation Run(int seed, Behaviour[] behaviours, double dropRate, ulong heights = Heights, long maxMs = 120_000)
    {
        // Shuffle who is faulty so that faults hit every proposer slot across seeds.
        var shuffled = behaviours.ToArray();
        new Random(seed ^ 0x5EED).Shuffle(shuffled);
        var sim = new Simulation(seed, shuffled) { DropRate = dropRate };
        sim.Start();
        bool live = sim.RunUntilHeight(heights, maxMs);
        Assert.That(sim.SafetyViolation, Is.Null);
        Assert.That(live, Is.True, $"seed {seed}: honest nodes stopped at heights {string.Join(",", sim.Honest.Select(n => n.DecidedHeight))}");
        return sim;
    }

    [Test]
    public void Four_honest_validators_decide_the_same_blocks_despite_delays_and_drops()
    {
        for (int seed = 0; seed < 400; seed++)
        {
            var sim = Run(seed, Validators(4), dropRate: seed % 4 * 0.05);
            // Honest validators never sign twice: any report is a false accusation (a late vote of another round, say).
            Assert.That(sim.Equivocations, Is.Empty, $"seed {seed}: equivocation reported among honest validators");
        }
    }

    [Test]
    public void One_equivocating_validator_of_four_breaks_neither_safety_nor_liveness()
    {
        int detected = 0;
        for (int seed = 0; seed < 500; seed++)
        {
            var sim = Run(seed, Validators(3, equivocating: 1), dropRate: seed % 3 * 0.05);
            if (sim.Equivocations.Count > 0) detected++;
            var equivocator = sim.Nodes.Single(n => n.Behaviour == Behaviour.Equivocating).Address;
            Assert.That(sim.Equivocations.Select(e => new Core.Primitives.Address(e.First.Validator.Span)).Distinct(), Is.All.EqualTo(equivocator),
                $"seed {seed}: an honest validator was reported");
        }
        Assert.That(detected, Is.GreaterThan(250), "honest nodes should catch the equivocator's conflicting votes in most runs");
    }

    [TestCase(4, 1)]
    [TestCase(5, 1)]
    [TestCase(7, 2)]
    public void F_byzantine_of_3f_plus_1_cannot_fork_the_chain(int n, int f)
    {
        for (int seed = 0; seed < 300; seed++)
            Run(seed, Validators(n - f, equivocating: f), dropRate: seed % 2 * 0.1);
    }

    [TestCase(4, 1)]
    [TestCase(7, 2)]
    public void F_silent_validators_of_3f_plus_1_do_not_stop_the_chain(int n, int f)
    {
        for (int seed = 0; seed < 200; seed++)
            Run(seed, Validators(n - f, silent: f), dropRate: 0.05);
    }

    [Test]
    public void The_chain_resumes_after_a_partition_heals()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var sim = new Simulation(seed, Validators(4)) { DropRate = 0.02 };
            sim.Start();
            Assert.That(sim.RunUntilHeight(3, 60_000), Is.True, $"seed {seed}: no progress before the partition");
            // Two against two: neither side has > 2/3, so nobody may decide anything.
            sim.Partition = (a, b) => a / 2 == b / 2;
            ulong before = sim.Honest.Max(n => n.DecidedHeight);
            sim.RunFor(10_000);
            Assert.That(sim.Honest.Max(n => n.DecidedHeight), Is.LessThanOrEqualTo(before + 1), $"seed {seed}: a minority side decided during the partition");
            sim.Partition = null;
            Assert.That(sim.RunUntilHeight(before + 5, 120_000), Is.True, $"seed {seed}: no progress after the partition healed");
            Assert.That(sim.SafetyViolation, Is.Null);
        }
    }

    [Test]
    public void An_isolated_validator_catches_up_after_reconnecting()
    {
        for (int seed = 0; seed < 100; seed++)
        {
            var sim = new Simulation(seed, Validators(4));
            sim.Start();
            sim.Partition = (a, b) => (a == 0) == (b == 0);
            sim.RunFor(8_000);
            Assert.That(sim.Nodes[0].DecidedHeight, Is.LessThan(sim.Nodes[1].DecidedHeight), $"seed {seed}");
            sim.Partition = null;
            ulong target = sim.Nodes.Max(n => n.DecidedHeight) + 2;
            Assert.That(sim.RunUntilHeight(target, 60_000), Is.True, $"seed {seed}: node 0 stayed at {sim.Nodes[0].DecidedHeight}");
            Assert.That(sim.SafetyViolation, Is.Null);
        }
    }

    // The harness must be able to see a fork: with half the power equivocating and the honest half
    // split, the bound of the theorem is exceeded and some seed must produce two decisions.
    [Test]
    public void The_harness_detects_a_fork_when_the_byzantine_bound_is_exceeded()
    {
        int forks = 0;
        for (int seed = 0; seed < 200 && forks == 0; seed++)
        {
            var sim = new Simulation(seed, [Behaviour.Honest, Behaviour.Honest, Behaviour.Equivocating, Behaviour.Equivocating]);
            sim.Partition = (a, b) => !(a == 0 && b == 1) && !(a == 1 && b == 0);
            sim.Start();
            sim.RunUntilHeight(20, 20_000);
            if (sim.SafetyViolation is not null) forks++;
        }
        Assert.That(forks, Is.GreaterThan(0));
    }

    [Test]
    public void Proposers_of_decided_blocks_follow_voting_power()
    {
        ulong[] powers = [10, 20, 30, 40];
        var sim = new Simulation(7, Validators(4), powers);
        sim.Start();
        Assert.That(sim.RunUntilHeight(400, 2_000_000), Is.True);
        var node = sim.Nodes[0];
        for (int i = 0; i < 4; i++)
        {
            double share = node.Proposers.Values.Count(a => a == Simulation.AddressOf(i)) / (double)node.Proposers.Count;
            Assert.That(share, Is.EqualTo(powers[i] / 100.0).Within(0.03), $"validator {i}");
        }
    }
}
