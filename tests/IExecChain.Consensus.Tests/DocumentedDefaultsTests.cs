using IExecChain.Consensus.Bft;
using IExecChain.Core.Specs;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Consensus.Tests;

/// <summary>docs/consensus.md quotes the default round timeouts; this keeps it equal to the code.</summary>
[TestFixture]
public sealed class DocumentedDefaultsTests
{
    [Test]
    public void The_consensus_document_quotes_the_default_round_timeouts_and_the_cap()
    {
        var p = new ConsensusParameters();
        Docs.AssertQuotes("docs/consensus.md",
            $"`timeoutProposeMs` {p.TimeoutProposeMs}, `timeoutPrevoteMs` {p.TimeoutPrevoteMs}, `timeoutPrecommitMs` {p.TimeoutPrecommitMs}, " +
            $"`timeoutFlatRounds` {p.TimeoutFlatRounds} and `timeoutGrowthPercent` {p.TimeoutGrowthPercent}");
        var timeouts = ConsensusTimeouts.From(p);
        Docs.AssertQuotes("docs/consensus.md",
            $"round 2 waits {timeouts.For(RoundStep.Propose, 2).TotalMilliseconds} ms to propose, round 3 {timeouts.For(RoundStep.Propose, 3).TotalMilliseconds} ms");
        Docs.AssertQuotes("docs/consensus.md", $"capped at {ConsensusTimeouts.DefaultMaxMs / 1000} s");
    }

    [Test]
    public void Engine_timeouts_come_from_the_chain_spec()
    {
        var p = new ConsensusParameters { TimeoutProposeMs = 11, TimeoutPrevoteMs = 12, TimeoutPrecommitMs = 13, TimeoutFlatRounds = 4, TimeoutGrowthPercent = 15 };
        var t = ConsensusTimeouts.From(p);
        Assert.That((t.ProposeMs, t.PrevoteMs, t.PrecommitMs, t.FlatRounds, t.GrowthPercent, t.MaxMs), Is.EqualTo((11, 12, 13, 4, 15, ConsensusTimeouts.DefaultMaxMs)));
    }
}
