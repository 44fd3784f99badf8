using IExecChain.Consensus.Bft;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using Google.Protobuf;
using NUnit.Framework;

namespace IExecChain.Consensus.Tests.Harness;

/// <summary>
/// Four real drivers (real block processor, mempool, WAL and signer on in-memory stores) on one
/// virtual clock, many seeded schedules each. Every run checks safety (one block per height),
/// the locking rule, a liveness bound in virtual time, and that no honest validator is reported
/// as an equivocator or penalized. A failure names its seed, which reproduces the run.
/// </summary>
[TestFixture]
public sealed class DriverHarnessTests
{
    // Seeded schedules per scenario, sized to run in under a minute on a loaded 2-core machine:
    // signature checks dominate, and the managed secp256k1 fallback is about five times slower
    // than libsecp256k1 (600 runs: 50 s native, 4.5 min managed), so it runs fewer.
    // IEXEC_HARNESS_SEEDS=N runs N per scenario (a soak run).
    private static readonly int Seeds = int.TryParse(Environment.GetEnvironmentVariable("IEXEC_HARNESS_SEEDS"), out int n) && n > 0 ? n
        : Secp256k1.Default.Name.StartsWith("managed", StringComparison.Ordinal) ? 20 : 100;
    private const long LivenessBoundMs = 60_000;

    private static void AssertHonest(DriverNetwork net) => Assert.That(net.HonestRunFailure(), Is.Null);

    /// <summary>A run stopped by a broken invariant names it; one that ran out of virtual time says where nodes stood.</summary>
    private static void AssertLive(DriverNetwork net, bool reached, string what)
    {
        Assert.That(net.Violation, Is.Null);
        Assert.That(reached, Is.True, $"seed {net.Seed}: {what}; heads {string.Join(",", net.Nodes.Select(n => n.Running ? n.Head.ToString() : "down"))} at {net.Now} ms");
    }

    private static bool Signed(Commit? commit, Address validator) =>
        commit is not null && commit.Signatures.Any(s => new Address(s.Validator.Span) == validator);

    [Test]
    public void A_validator_that_starts_late_block_syncs_and_then_votes()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var net = new DriverNetwork(seed, 4) { DropRate = seed % 3 * 0.03 };
            var late = net.Nodes[seed % 4];
            foreach (var node in net.Nodes.Where(n => n != late)) node.Start();
            ulong lead = 3 + (ulong)(seed % 5);
            AssertLive(net, net.RunUntilHeight(lead, LivenessBoundMs), "three of four validators stopped");

            late.Start();
            ulong target = net.Running.Max(n => n.Head) + 2;
            AssertLive(net, net.RunUntilHeight(target, LivenessBoundMs), $"the late validator stayed at {late.Head}");
            Assert.That(late.Driver!.Metrics.SyncedBlocks, Is.GreaterThanOrEqualTo((long)lead), $"seed {seed}: the late validator did not block-sync");
            ulong joined = late.Head;
            AssertLive(net, net.RunUntil(() => net.Blocks.Any(b => b.Key > joined && Signed(b.Value.Block.LastCommit, late.Address)), LivenessBoundMs), $"no commit after height {joined} carries the late validator's precommit");
            AssertHonest(net);
        }
    }

    [Test]
    public void A_validator_restarted_from_its_WAL_keeps_its_lock_and_never_signs_against_it()
    {
        int restoredLocks = 0;
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var net = new DriverNetwork(seed, 4) { DropRate = seed % 2 * 0.02 };
            ulong height = 2 + (ulong)(seed % 3);
            var roles = WalRoles(net, height);
            net.StartAll();

            // X alone sees > 2/3 prevotes for the round-0 block: it locks on it, nobody else does, the
            // others move to round 1 and a new block. X crashes right after locking and comes back.
            AssertLive(net, net.RunUntil(() => roles.X is { } x && net.Nodes[x].Driver is { } d && d.Height == height && d.LockedRound >= 0, LivenessBoundMs), $"the scenario's validator never locked at height {height}");
            var locked = net.Nodes[roles.X!.Value];
            int lockedRound = locked.Driver!.LockedRound;
            locked.Crash();
            int? restored = null;
            net.At(net.Random.Next(0, 1500), () =>
            {
                locked.Start();
                locked.Driver!.Pump();   // the first step replays the WAL
                if (locked.Driver.Height == height) restored = locked.Driver.LockedRound;
            });

            AssertLive(net, net.RunUntil(() => locked.Running && net.Running.All(n => n.Head >= height + 2), LivenessBoundMs),
                "stopped");
            AssertHonest(net);
            if (restored is not null)
            {
                Assert.That(restored, Is.EqualTo(lockedRound), $"seed {seed}: the WAL replay lost the lock of round {lockedRound}");
                restoredLocks++;
            }
            Assert.That(net.Blocks[height].Commit.Round, Is.GreaterThan(0u), $"seed {seed}: height {height} was decided in round 0, the scenario did not happen");
        }
        Assert.That(restoredLocks, Is.GreaterThan(Seeds / 2), "most restarts should come back before the height is decided");
    }

    private sealed class Roles
    {
        public int? X, Z;
    }

    // Picks the roles when the round-0 proposal of the height goes out, and installs the adversary.
    private static Roles WalRoles(DriverNetwork net, ulong height)
    {
        var roles = new Roles();
        var pick = new Random(net.Seed ^ 0x10C);
        net.Sent += (from, envelope) =>
        {
            if (roles.X is not null || envelope.Proposal is not { Round: 0 } p || p.Height != height) return;
            var roster = net.Nodes[from].Driver!.Roster;
            int IndexOf(Address a) => net.Nodes.First(n => n.Address == a).Index;
            int p0 = from, p1 = IndexOf(roster.ProposerFor(1));
            var candidates = net.Nodes.Select(n => n.Index).Where(i => i != p0 && i != p1).ToList();
            roles.X = candidates[pick.Next(candidates.Count)];
            var others = net.Nodes.Select(n => n.Index).Where(i => i != p0 && i != roles.X).ToList();
            roles.Z = others[pick.Next(others.Count)];
        };
        net.Adversary = (from, to, envelope) =>
        {
            if (roles.X is not { } x) return null;
            if (envelope.Proposal is { Round: 0 } p && p.Height == height && to == roles.Z) return -1;
            if (envelope.Vote is { Round: 0, Type: VoteType.Prevote } v && v.Height == height && new Address(v.Validator.Span) == net.Nodes[x].Address) return -1;
            return null;
        };
        return roles;
    }

    [Test]
    public void Validators_crashed_and_restarted_at_random_moments_keep_the_chain_safe_and_live()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var net = new DriverNetwork(seed, 4) { DropRate = seed % 3 * 0.03 };
            net.StartAll();
            var victim = net.Nodes[seed % 4];
            net.At(net.Random.Next(100, 3000), victim.Crash);
            net.At(net.Random.Next(3000, 6000), victim.Start);
            AssertLive(net, net.RunUntil(() => victim.Starts == 2 && net.Running.Count() == 4 && net.Running.All(n => n.Head >= 8), LivenessBoundMs),
                "stopped");
            AssertHonest(net);
        }
    }

    [Test]
    public void Late_precommits_earn_their_signers_a_place_in_the_next_commit()
    {
        int credited = 0;
        for (int seed = 0; seed < Seeds; seed++)
        {
            // A block interval well above the time to decide: late precommits arrive before the next proposal.
            using var net = new DriverNetwork(seed, 4, blockIntervalMs: 1000);
            var late = net.Nodes[seed % 4];
            var delay = new Random(seed ^ 0x1A7E);
            net.Adversary = (from, _, envelope) =>
                from == late.Index && envelope.Vote is { Type: VoteType.Precommit } ? 150 + delay.Next(300) : null;
            net.StartAll();
            AssertLive(net, net.RunUntilHeight(8, LivenessBoundMs), "stopped");
            AssertHonest(net);
            for (ulong h = 1; h < 8; h++)
            {
                var next = net.Blocks[h + 1].Block;
                bool decidedWithout = net.Nodes.Any(n => n != late && net.Commits.TryGetValue((n.Index, h), out var c) && !Signed(c, late.Address));
                if (decidedWithout && Signed(next.LastCommit, late.Address)) credited++;
            }
        }
        Assert.That(credited, Is.GreaterThan(Seeds * 7 / 2), "late precommits should make it into most next commits");
    }

    [Test]
    public void A_proposer_that_crashes_mid_round_is_replaced_by_the_next_round()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var net = new DriverNetwork(seed, 4) { DropRate = seed % 2 * 0.02 };
            ulong height = 2 + (ulong)(seed % 4);
            int proposer = -1;
            bool movedOn = false;
            var pick = new Random(seed ^ 0xC4A5);
            HashSet<int> missed = [];
            net.Sent += (from, envelope) =>
            {
                if (proposer >= 0 && from != proposer && envelope.Vote is { Round: > 0 } v && v.Height == height) movedOn = true;
                if (proposer >= 0 || envelope.Proposal is not { Round: 0 } p || p.Height != height) return;
                proposer = from;
                // It crashes right after proposing; its proposal and prevote reach some of the others, never all.
                var others = net.Nodes.Select(n => n.Index).Where(i => i != from).OrderBy(_ => pick.Next()).ToList();
                missed = [.. others.Take(1 + pick.Next(others.Count))];
                net.At(0, net.Nodes[from].Crash);
                net.At(2500 + pick.Next(3000), net.Nodes[from].Start);
            };
            net.Adversary = (from, to, envelope) =>
            {
                if (proposer < 0 || !missed.Contains(to)) return null;
                if (envelope.Proposal is { Round: 0 } p && p.Height == height) return -1;
                if (envelope.Vote is { Round: 0 } v && v.Height == height && new Address(v.Validator.Span) == net.Nodes[proposer].Address) return -1;
                return null;
            };
            net.StartAll();
            AssertLive(net, net.RunUntil(() => net.Running.Count() == 4 && net.Running.All(n => n.Head >= height + 2), LivenessBoundMs),
                "stopped");
            AssertHonest(net);
            Assert.That(movedOn, Is.True, $"seed {seed}: nobody moved past round 0 of height {height}");
        }
    }

    [Test]
    public void Forged_votes_are_refused_and_their_sender_penalized()
    {
        var forger = new PrivateKey(Keccak256.HashToArray("harness/forger"u8));
        for (int seed = 0; seed < Seeds; seed++)
        {
            using var net = new DriverNetwork(seed, 4);
            net.StartAll();
            int forged = 0;
            var random = new Random(seed ^ 0xF0F0);
            for (int i = 0; i < 20; i++)
                net.At(random.Next(50, 1500), () =>
                {
                    // A vote in an honest validator's name, for a block nobody proposed, signed with another key.
                    var target = net.Nodes[random.Next(4)];
                    var victim = net.Nodes[random.Next(4)].Address;
                    var type = random.Next(2) == 0 ? VoteType.Prevote : VoteType.Precommit;
                    var hash = Keccak256.Hash(BitConverter.GetBytes(random.NextInt64()));
                    ulong height = target.Driver!.Height;
                    var signature = forger.Sign(VoteDigest.Compute(DriverNetwork.ChainId, type, height, target.Driver.Round, hash));
                    var vote = ValidatorSigner.MakeVote(type, height, target.Driver.Round, hash, victim, signature, 0);
                    target.Driver.OnMessage(forger.Address, ConsensusChannel.Consensus, new ConsensusEnvelope { Vote = vote }.ToByteArray());
                    forged++;
                });
            AssertLive(net, net.RunUntilHeight(6, LivenessBoundMs), "stopped");
            Assert.That(net.Nodes.Where(n => n.EquivocationsSeen > 0), Is.Empty, $"seed {seed}: a forged vote was counted against an honest validator");
            Assert.That(net.Penalties.Count(p => p.Peer == forger.Address && p.Points == PenaltyPoints.Forged), Is.EqualTo(forged), $"seed {seed}: a forged vote went unpunished");
            Assert.That(net.Penalties.Where(p => p.Peer != forger.Address), Is.Empty, $"seed {seed}: an honest peer was penalized");
            Assert.That(net.Violation, Is.Null);
            Assert.That(net.Errors, Is.Empty);
        }
    }

    [Test]
    public void A_sync_response_carrying_a_malformed_header_is_penalized_and_consensus_goes_on()
    {
        // Found by fuzzing (tests/IExecChain.Fuzzing/regressions/block): a header field of the wrong
        // length threw out of ChainBlock.TryDecode, and any connected peer's unsolicited sync response
        // ended the consensus loop.
        using var net = new DriverNetwork(seed: 7, validators: 4);
        net.StartAll();
        AssertLive(net, net.RunUntilHeight(2, LivenessBoundMs), "the network did not start");
        var victim = net.Nodes[0];
        var wire = Block.Parser.ParseFrom(victim.Processor!.Blocks.GetBlock(1)!.ToBytes());
        var header = BlockHeader.Parser.ParseFrom(wire.Header);
        header.EvidenceHash = ByteString.Empty;
        wire.Header = header.ToByteString();
        var response = new ConsensusEnvelope
        {
            BlockResponse = new BlockResponse { HeadHeight = 1, Blocks = { new CommittedBlock { Block = wire.ToByteString(), Commit = victim.Processor.Blocks.GetCommit(1) } } },
        };
        var attacker = new Address(Enumerable.Repeat((byte)0xaa, Address.Size).ToArray());

        victim.Driver!.OnMessage(attacker, ConsensusChannel.Sync, response.ToByteArray());
        ulong target = victim.Head + 3;

        AssertLive(net, net.RunUntilHeight(target, LivenessBoundMs), "consensus stopped after the malformed sync response");
        Assert.That(victim.Driver.Fault, Is.Null);
        Assert.That(net.Penalties.Where(p => p.Node == 0 && p.Peer == attacker).Select(p => p.Reason),
            Has.One.Contains("synced block is undecodable: header evidence hash is 0 bytes"));
    }
}
