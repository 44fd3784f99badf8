using System.Runtime.CompilerServices;
using System.Text;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Market;
using NUnit.Framework;

namespace IExecChain.State.Tests.Fixture;

/// <summary>
/// Pins the fixture chain's hashes so a consensus change cannot slip in unnoticed, and checks the chain
/// still goes through everything it claims to. Regenerate the pinned file after a deliberate change with
/// <c>IEXEC_REGENERATE_FIXTURE=1 dotnet test tests/IExecChain.State.Tests --filter ConsensusFixture</c>.
/// </summary>
[TestFixture]
public sealed class ConsensusFixtureTests
{
    // Built once for both tests: a few hundred blocks take about a second.
    private static readonly Lazy<ConsensusFixture> Built = new(ConsensusFixture.Build);

    [Test]
    public void The_fixture_chain_reproduces_every_pinned_block_hash_and_state_root()
    {
        var f = Built.Value;
        if (Environment.GetEnvironmentVariable(PinnedBlocks.RegenerateVariable) == "1")
        {
            Regenerate(f);
            return;
        }
        var path = Path.Combine(AppContext.BaseDirectory, "Fixture", PinnedBlocks.FileName);
        Assert.That(File.Exists(path), Is.True, $"{path} is missing; create it with: {PinnedBlocks.RegenerateCommand}");
        var pinned = PinnedBlocks.Parse(File.ReadAllText(path));
        string stopped = f.Failure is null ? "" : $"\n\nThe fixture's script then stopped at height {f.Head}: {f.Failure.Message}";
        if (PinnedBlocks.FirstDifference(pinned, f.Blocks) is { } difference) Assert.Fail(Describe(f, difference) + stopped);
        Assert.That(f.Failure, Is.Null, $"The chain matches the pinned file, but the fixture's script stopped at height {f.Head}: {f.Failure}");
    }

    [Test]
    public void The_fixture_chain_reaches_every_milestone_it_claims()
    {
        var f = Built.Value;
        Assert.That(f.Failure, Is.Null, $"the fixture's script stopped at height {f.Head}: {f.Failure}");
        var totals = MarketReader.Totals(f.Chain.Tree);
        var report = new StringBuilder($"{f.Head} blocks; {totals.Deals} deals, {totals.TasksStarted} tasks started, {totals.TasksCompleted} completed, {totals.TasksFailed} failed, " +
            $"{totals.SpotChecks} spot-checks, {totals.Challenges} challenges, {totals.Reversals} reversals; events: " +
            string.Join(", ", f.M.Events.GroupBy(e => e.Kind == "verified" ? "verified " + e.Status : e.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}")) +
            "; first height of each milestone:");
        foreach (var m in Enum.GetValues<Milestone>()) report.Append('\n').Append(m).Append(": ").Append(f.Reached.TryGetValue(m, out ulong h) ? h.ToString() : "never");
        TestContext.Out.WriteLine(report.ToString());
        Assert.That(Enum.GetValues<Milestone>().Where(m => !f.Reached.ContainsKey(m)), Is.Empty, "milestones the chain never reached");
        Assert.That(f.Head, Is.InRange(200UL, 400UL), "a few hundred blocks: long enough for every deadline, short enough to run in seconds");

        // The final state says the same, whatever the script's own bookkeeping says.
        var tree = f.Chain.Tree;
        var market = MarketReader.Totals(tree);
        var chain = StateReader.Totals(tree);
        Assert.Multiple(() =>
        {
            Assert.That(market.TasksCompleted, Is.GreaterThanOrEqualTo(8), "completed tasks");
            Assert.That(market.TasksFailed, Is.GreaterThanOrEqualTo(1), "failed tasks");
            Assert.That(market.SpotChecks, Is.GreaterThanOrEqualTo(1), "spot-checks");
            Assert.That(market.Challenges, Is.GreaterThanOrEqualTo(2), "challenges");
            Assert.That(market.Reversals, Is.GreaterThanOrEqualTo(1), "reversals");
            Assert.That(chain.LatestCheckpoint, Is.GreaterThanOrEqualTo(4), "checkpoints");
            Assert.That(chain.Burned, Is.GreaterThan(0), "stake burned for equivocation");
            var statuses = Enumerable.Range(1, 5).Select(id => StateReader.Proposal(tree, (ulong)id)?.Status).ToArray();
            Assert.That(statuses, Is.EqualTo(new ProposalStatus?[] { ProposalStatus.Passed, ProposalStatus.Failed, ProposalStatus.Passed, ProposalStatus.Rejected, ProposalStatus.Expired }));
            var bridge = Bridge.BridgeLedger.Totals(new WorldState(tree));
            Assert.That((bridge.DepositedTotal, bridge.WithdrawnTotal, bridge.BridgedSupply), Is.EqualTo((5_700UL, 2_000UL, 3_700UL)), "the bridge's flows");
            Assert.That(Supply(f) + market.Kitty + chain.Burned, Is.EqualTo(GenesisSupply(f) + bridge.DepositedTotal - bridge.WithdrawnTotal),
                "nRLC is neither created nor lost: only the bridge moves it in and out");
        });
    }

    private static ulong GenesisSupply(ConsensusFixture f) =>
        f.Chain.Spec.Accounts.Aggregate(0UL, (s, a) => s + a.Balance) + f.Chain.Spec.Validators.Aggregate(0UL, (s, v) => s + v.Stake);

    /// <summary>Balances, frozen funds, stakes and unbonding of every account the script uses.</summary>
    private static ulong Supply(ConsensusFixture f)
    {
        ulong total = 0;
        foreach (var address in f.M.Everyone().Concat([ConsensusFixture.Alice.Address, ConsensusFixture.Bob.Address, ConsensusFixture.Newcomer.Address]))
        {
            var account = f.Chain.AccountOf(address);
            var stake = f.Chain.StakeOf(address);
            total += account.Balance + account.Frozen + stake.ValidatorStake + stake.WorkerStake;
            foreach (var u in stake.Unbonding) total += u.Amount;
        }
        return total;
    }

    private static string Describe(ConsensusFixture f, (ulong Height, FixtureBlock? Pinned, FixtureBlock? Built) difference)
    {
        var (height, pinned, built) = difference;
        var text = new StringBuilder($"The fixture chain differs from {PinnedBlocks.FileName} first at height {height}");
        if (pinned is not null && built is not null)
        {
            text.Append(" (phase '").Append(built.Phase).Append("'):").Append(PinnedBlocks.Explain(pinned, built));
            text.Append("\n  block ").Append(height).Append(" holds ").Append(f.Describe(height));
            text.Append("\nEvery later block differs with it: each block hashes its parent.");
        }
        else if (built is null)
        {
            text.Append(": the pinned file has blocks from there on, but the chain ends at ").Append(height - 1).Append(". The script is shorter than when the file was pinned.");
        }
        else
        {
            text.Append(": the pinned file ends at ").Append(height - 1).Append(" but the chain goes on. The script is longer than when the file was pinned.");
        }
        text.Append("\nA change that moves these hashes is a consensus change. If it is deliberate, regenerate the pinned file and commit it with the change:\n  ")
            .Append(PinnedBlocks.RegenerateCommand);
        return text.ToString();
    }

    private static void Regenerate(ConsensusFixture f)
    {
        if (f.Failure is not null)
            Assert.Fail($"{PinnedBlocks.FileName} NOT regenerated: the fixture's script stopped at height {f.Head}, so the chain is not the one it describes:\n{f.Failure}");
        var path = SourcePath();
        string? previous = File.Exists(path) ? File.ReadAllText(path) : null;
        File.WriteAllText(path, PinnedBlocks.Format(f.Blocks));
        string change = previous is null ? "a new file"
            : PinnedBlocks.FirstDifference(PinnedBlocks.Parse(previous), f.Blocks) is { } d ? $"first change at height {d.Height}"
            : "no hash changed";
        // Failing keeps a forgotten variable from turning the pin off for good.
        Assert.Fail($"Regenerated {path} ({f.Head} blocks, {change}) because {PinnedBlocks.RegenerateVariable}=1. " +
            $"Review it with git diff, commit it with the consensus change, and run the tests again without {PinnedBlocks.RegenerateVariable}.");
    }

    /// <summary>The pinned file in the source tree (not the copy in the output directory), found from this file's path.</summary>
    private static string SourcePath([CallerFilePath] string thisFile = "")
    {
        var folder = Path.GetDirectoryName(thisFile);
        if (folder is not null && File.Exists(Path.Combine(folder, Path.GetFileName(thisFile)))) return Path.Combine(folder, PinnedBlocks.FileName);
        // Built elsewhere than it runs (a mapped source path): walk up from the assembly to the project.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "IExecChain.State.Tests.csproj"))) return Path.Combine(dir.FullName, "Fixture", PinnedBlocks.FileName);
        throw new DirectoryNotFoundException($"cannot find the source folder of {PinnedBlocks.FileName} from {thisFile} or {AppContext.BaseDirectory}");
    }
}
