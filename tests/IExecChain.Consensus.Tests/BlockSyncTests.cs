using IExecChain.Consensus.Bft;
using IExecChain.Consensus.Tests.Harness;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.State.Chain;
using NUnit.Framework;

namespace IExecChain.Consensus.Tests;

/// <summary>
/// <see cref="BlockSync"/> between real block processors: three validators of a <see cref="DriverNetwork"/>
/// decide a chain, one of them then prunes it, and a fourth node at genesis syncs from them. Each side's
/// <see cref="BlockSync"/> is driven by hand and what it sends is recorded, so a test sees every request
/// and answer, and when it went out on the network's virtual clock.
/// </summary>
[TestFixture]
public sealed class BlockSyncTests
{
    private const ulong Lowest = 6;

    private static readonly Address PeerA = new(Enumerable.Repeat((byte)0xaa, Address.Size).ToArray());
    private static readonly Address PeerB = new(Enumerable.Repeat((byte)0xbb, Address.Size).ToArray());

    [Test]
    public void A_pruned_peer_answers_a_request_below_its_lowest_block_with_that_height_and_no_blocks()
    {
        using var scene = new Scene();

        scene.Pruned.OnRequest(PeerA, new BlockRequest { FromHeight = 1, Count = BlockSync.MaxBlocksPerResponse });
        scene.Pruned.OnRequest(PeerA, new BlockRequest { FromHeight = Lowest, Count = 2 });

        var answers = scene.PrunedTransport.Sent.Select(s => (s.Peer, s.Envelope.BlockResponse)).ToList();
        Assert.That(answers, Has.Count.EqualTo(2));
        Assert.That(answers.Select(a => a.Peer), Is.All.EqualTo(PeerA));
        Assert.That((answers[0].BlockResponse.Blocks.Count, answers[0].BlockResponse.LowestHeight, answers[0].BlockResponse.HeadHeight),
            Is.EqualTo((0, Lowest, scene.ChainHead)));
        Assert.That((answers[1].BlockResponse.Blocks.Count, answers[1].BlockResponse.LowestHeight), Is.EqualTo((2, Lowest)), "from its lowest block on it serves as before");
    }

    [Test]
    public void A_requester_told_that_a_peer_lacks_its_next_block_asks_another_peer_at_once_and_not_that_peer_again()
    {
        using var scene = new Scene();
        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);
        scene.Requester.OnStatus(PeerB, scene.Status, scene.RequesterHeight);
        Assert.That(scene.Requests(), Is.EqualTo(new[] { (PeerA, 1UL) }), "one request per interval");
        long askedAt = scene.Net.Now;

        scene.Requester.OnResponse(PeerA, scene.Answer(scene.Pruned, scene.PrunedTransport, 1), scene.Commit);

        Assert.That(scene.Requests(), Is.EqualTo(new[] { (PeerA, 1UL), (PeerB, 1UL) }));
        Assert.That(scene.Net.Now, Is.EqualTo(askedAt), "the second request went out without waiting for the interval");

        // B's answer is lost; after the interval the first status to arrive is A's again.
        scene.Net.Clock.AdvanceTo(askedAt + DriverTimings.SyncRequestIntervalMs);
        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);
        Assert.That(scene.Requests()[^1], Is.EqualTo((PeerB, 1UL)), "A said it holds nothing below block 6");
        Assert.That(scene.Fresh.Head, Is.Zero);
    }

    [Test]
    public void A_peer_that_holds_the_range_is_asked_and_its_blocks_are_committed()
    {
        using var scene = new Scene();
        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);
        var answer = scene.Answer(scene.Full, scene.FullTransport, 1);

        scene.Requester.OnResponse(PeerA, answer, scene.Commit);

        Assert.That(scene.Requests(), Is.EqualTo(new[] { (PeerA, 1UL) }));
        Assert.That(answer.LowestHeight, Is.EqualTo(1UL), "a node that keeps every block says 1");
        Assert.That(scene.Fresh.Head, Is.EqualTo(scene.ChainHead));
        Assert.That(scene.RequesterTransport.Penalties, Is.Empty);
    }

    [Test]
    public void A_pruned_peer_is_asked_again_once_the_requester_needs_only_blocks_it_holds()
    {
        using var scene = new Scene();
        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);
        scene.Requester.OnStatus(PeerB, scene.Status, scene.RequesterHeight);
        scene.Requester.OnResponse(PeerA, scene.Answer(scene.Pruned, scene.PrunedTransport, 1), scene.Commit);
        // B serves blocks 1 to 5 only (a short answer): more remain, so the next status may ask at once.
        scene.Full.OnRequest(PeerB, new BlockRequest { FromHeight = 1, Count = (uint)Lowest - 1 });
        scene.Requester.OnResponse(PeerB, scene.FullTransport.Sent[^1].Envelope.BlockResponse, scene.Commit);
        Assert.That(scene.Fresh.Head, Is.EqualTo(Lowest - 1));

        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);
        scene.Requester.OnResponse(PeerA, scene.Answer(scene.Pruned, scene.PrunedTransport, Lowest), scene.Commit);

        Assert.That(scene.Requests()[^1], Is.EqualTo((PeerA, Lowest)));
        Assert.That(scene.Fresh.Head, Is.EqualTo(scene.ChainHead));
    }

    [Test]
    public void With_no_peer_known_to_hold_the_next_block_the_requester_keeps_asking_after_the_interval()
    {
        using var scene = new Scene();
        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);
        scene.Requester.OnResponse(PeerA, scene.Answer(scene.Pruned, scene.PrunedTransport, 1), scene.Commit);
        Assert.That(scene.Requests(), Has.Count.EqualTo(1), "nobody else to ask at once");

        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);
        Assert.That(scene.Requests(), Has.Count.EqualTo(1), "not before the interval");
        scene.Net.Clock.AdvanceTo(scene.Net.Now + DriverTimings.SyncRequestIntervalMs);
        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);

        Assert.That(scene.Requests(), Is.EqualTo(new[] { (PeerA, 1UL), (PeerA, 1UL) }));
    }

    [Test]
    public void An_empty_answer_nobody_asked_for_sends_no_request()
    {
        using var scene = new Scene();
        scene.Requester.OnStatus(PeerA, scene.Status, scene.RequesterHeight);
        scene.Requester.OnStatus(PeerB, scene.Status, scene.RequesterHeight);
        var lacking = scene.Answer(scene.Pruned, scene.PrunedTransport, 1);

        scene.Requester.OnResponse(PeerB, lacking, scene.Commit);

        Assert.That(scene.Requests(), Is.EqualTo(new[] { (PeerA, 1UL) }));
    }

    /// <summary>
    /// Validators 0 to 2 decide a chain; validator 0 then prunes it below <see cref="Lowest"/>. Validator 3
    /// starts after and is never run: a node at genesis, the requester.
    /// </summary>
    private sealed class Scene : IDisposable
    {
        private readonly List<string> _errors = [];

        public Scene()
        {
            Net = new DriverNetwork(seed: 11, validators: 4);
            for (int i = 0; i < 3; i++) Net.Nodes[i].Start();
            Assert.That(Net.RunUntilHeight(Lowest + 4, 60_000), Is.True, "the three validators did not decide the chain");
            var pruned = Net.Nodes[0].Processor!;
            var full = Net.Nodes[1].Processor!;
            // The heads may differ by a block: both serve up to the lower one.
            ChainHead = Math.Min(pruned.Head.Height, full.Head.Height);
            pruned.Blocks.Prune(Lowest);
            Assert.That(pruned.Blocks.LowestHeight, Is.EqualTo(Lowest));
            Fresh = Net.Nodes[3];
            Fresh.Start();
            Pruned = SyncOn(pruned, PrunedTransport);
            Full = SyncOn(full, FullTransport);
            Requester = SyncOn(Fresh.Processor!, RequesterTransport);
        }

        public DriverNetwork Net { get; }
        public ulong ChainHead { get; }
        public DriverNode Fresh { get; }
        public RecordingTransport PrunedTransport { get; } = new();
        public RecordingTransport FullTransport { get; } = new();
        public RecordingTransport RequesterTransport { get; } = new();
        public BlockSync Pruned { get; }
        public BlockSync Full { get; }
        public BlockSync Requester { get; }

        /// <summary>A peer's status: deciding the block after the chain's head.</summary>
        public ConsensusStatus Status => new() { Height = ChainHead + 1 };

        public ulong RequesterHeight => Fresh.Head + 1;

        public void Commit(ExecutedBlock executed, Commit commit) => Fresh.Processor!.Commit(executed, commit);

        /// <summary>The block requests the requester sent: (to whom, from which height).</summary>
        public List<(Address Peer, ulong FromHeight)> Requests() =>
            RequesterTransport.Sent.Select(s => (s.Peer, s.Envelope.BlockRequest.FromHeight)).ToList();

        /// <summary>What <paramref name="server"/> answers to a request from <paramref name="fromHeight"/>, capped at the chain's head.</summary>
        public BlockResponse Answer(BlockSync server, RecordingTransport transport, ulong fromHeight)
        {
            server.OnRequest(Fresh.Address, new BlockRequest { FromHeight = fromHeight, Count = (uint)(ChainHead + 1 - fromHeight) });
            var (peer, envelope) = transport.Sent[^1];
            Assert.That(peer, Is.EqualTo(Fresh.Address));
            return envelope.BlockResponse;
        }

        private BlockSync SyncOn(BlockProcessor processor, RecordingTransport transport) =>
            new(Net.Spec, processor, transport, new MessageGate(Net.Spec, processor, transport, new ConsensusMetrics(), null, new RecordingLogger(_errors, 0)), Net.Clock);

        public void Dispose() => Net.Dispose();
    }

    /// <summary>Keeps what one node sends, in order, and the penalties it gives.</summary>
    private sealed class RecordingTransport : IConsensusTransport
    {
        public List<(Address Peer, ConsensusEnvelope Envelope)> Sent { get; } = [];
        public List<(Address Peer, string Reason)> Penalties { get; } = [];

        public void Broadcast(ConsensusChannel channel, byte[] payload) => throw new InvalidOperationException("block sync never broadcasts");

        public void Send(Address peer, ConsensusChannel channel, byte[] payload)
        {
            Assert.That(channel, Is.EqualTo(ConsensusChannel.Sync));
            Sent.Add((peer, ConsensusEnvelope.Parser.ParseFrom(payload)));
        }

        public void Penalize(Address peer, string reason, int points) => Penalties.Add((peer, reason));
    }
}
