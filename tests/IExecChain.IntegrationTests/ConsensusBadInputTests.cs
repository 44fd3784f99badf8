using System.Net;
using System.Text;
using Google.Protobuf;
using IExecChain.Core.Blocks;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;
using IExecChain.Network;
using IExecChain.Rpc.Contracts.Client;
using NUnit.Framework;

namespace IExecChain.IntegrationTests;

/// <summary>
/// A rogue peer (a real P2P host in the test process) authenticates to a running validator and
/// sends it bad consensus traffic. The node must reject and count each message, drop the peer,
/// and keep committing blocks.
/// </summary>
[NonParallelizable]
public class ConsensusBadInputTests
{
    private sealed class Nothing : IMessageSink
    {
        public void OnMessage(Peer peer, Channel channel, ReadOnlyMemory<byte> payload) { }
    }

    [Test]
    public async Task Malformed_forged_and_unauthorized_consensus_messages_get_the_peer_banned_and_consensus_goes_on()
    {
        using var chain = new DevChain();
        using var node = chain.StartValidator();
        await node.WaitForRpcAsync(chain.Rpc, TimeSpan.FromSeconds(30));
        using var client = new JsonRpcClient(chain.Rpc);
        var info = await client.CallAsync("iex_nodeInfo");
        var genesis = Hash256.Parse(info.GetProperty("genesisHash").GetString()!);
        var validator = DevChain.DevAddress("validator", 0);

        var rogueKey = new PrivateKey(Keccak256.HashToArray(Encoding.ASCII.GetBytes("test/rogue")));
        var disconnected = new TaskCompletionSource<DisconnectCause>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var rogue = new P2PHost(rogueKey, new NetworkOptions
        {
            ChainId = 1337,
            GenesisHash = genesis,
            ListenPort = 0,
            Seeds = [new SeedPeer(new IPEndPoint(IPAddress.Loopback, chain.P2PPort), validator)],
        }, new Nothing());
        rogue.PeerDisconnected += (_, cause) => disconnected.TrySetResult(cause);
        rogue.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (rogue.Peers.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.That(rogue.TryGetPeer(validator, out var target), Is.True, "the rogue should authenticate (observers may connect)");
        ulong before = JsonRpcClient.Quantity(await client.CallAsync("iex_blockNumber"));

        // 1. Garbage on the consensus channel.
        rogue.Send(target!, Channel.Consensus, [0xFF, 0x00, 0x13, 0x37]);
        // 2. A well-signed vote from someone who is not a validator.
        var height = before + 1;
        rogue.Send(target!, Channel.Consensus, Envelope(SignedVote(rogueKey, rogueKey.Address, height)));
        // 3. A vote claiming to be the validator's, signed by someone else.
        rogue.Send(target!, Channel.Consensus, Envelope(SignedVote(rogueKey, validator, height)));
        // 4. Blocks whose commits the validator set never signed.
        rogue.Send(target!, Channel.Sync, new ConsensusEnvelope { BlockResponse = ForgedBlocks(rogueKey, before + 1, 50) }.ToByteArray());

        var finished = await Task.WhenAny(disconnected.Task, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.That(finished, Is.SameAs(disconnected.Task), "the node should have dropped the rogue peer");

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(chain.Rpc, "/metrics"));
        var rejected = metrics.Split('\n').First(l => l.StartsWith("iexec_consensus_rejected_messages_total ", StringComparison.Ordinal));
        Assert.That(long.Parse(rejected.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(3), metrics);

        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        ulong after = before;
        while (after < before + 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            after = JsonRpcClient.Quantity(await client.CallAsync("iex_blockNumber"));
        }
        Assert.That(after, Is.GreaterThanOrEqualTo(before + 5), "consensus should be unaffected");
        Assert.That(node.Output, Does.Contain("Banning peer " + rogueKey.Address.ToString()).IgnoreCase.Or.Contain("Rejected a message from"));
    }

    private static byte[] Envelope(Vote vote) => new ConsensusEnvelope { Vote = vote }.ToByteArray();

    private static Vote SignedVote(PrivateKey signer, Address claimed, ulong height)
    {
        var hash = Keccak256.Hash(Encoding.ASCII.GetBytes("not a block"));
        return new Vote
        {
            Type = VoteType.Precommit,
            Height = height,
            BlockHash = ByteString.CopyFrom(hash.ToArray()),
            Validator = ByteString.CopyFrom(claimed.ToArray()),
            Signature = ByteString.CopyFrom(signer.Sign(VoteDigest.Compute(1337, VoteType.Precommit, height, 0, hash))),
        };
    }

    private static BlockResponse ForgedBlocks(PrivateKey signer, ulong from, int count)
    {
        var response = new BlockResponse { HeadHeight = from + (ulong)count };
        for (ulong h = from; h < from + (ulong)count; h++)
        {
            var header = new BlockHeader { ChainId = 1337, Height = h, EvidenceHash = ByteString.CopyFrom(new byte[32]) };
            var block = new ChainBlock(header, [], null);
            var commit = new Commit { Height = h, BlockHash = ByteString.CopyFrom(block.Hash.ToArray()) };
            commit.Signatures.Add(new CommitSignature
            {
                Validator = ByteString.CopyFrom(signer.Address.ToArray()),
                Signature = ByteString.CopyFrom(signer.Sign(VoteDigest.Compute(1337, VoteType.Precommit, h, 0, block.Hash))),
            });
            response.Blocks.Add(new CommittedBlock { Block = ByteString.CopyFrom(block.ToBytes()), Commit = commit });
        }
        return response;
    }
}
