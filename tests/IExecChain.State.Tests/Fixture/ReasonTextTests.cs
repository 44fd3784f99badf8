using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using NUnit.Framework;

namespace IExecChain.State.Tests.Fixture;

/// <summary>
/// Words are not consensus data: receipts and recorded outcomes hold a <see cref="Reason"/> (code and
/// arguments), and <see cref="ReasonText"/> makes the words off-chain.
/// </summary>
public sealed class ReasonTextTests
{
    private static readonly Lazy<ConsensusFixture> Built = new(ConsensusFixture.Build);

    [Test]
    public void Every_reason_code_has_words()
    {
        var codes = Enum.GetValues<ReasonCode>().Where(c => c != ReasonCode.ReasonNone);
        Assert.That(codes.Except(ReasonText.Default.Codes), Is.Empty, "codes without a row in ReasonText");
        foreach (var code in codes)
            Assert.That(ReasonText.Default.Describe(new Reason { Code = code }), Is.Not.Empty.And.Not.StartWith("failure "), code.ToString());
    }

    [Test]
    public void Receipts_and_recorded_outcomes_have_no_text_field()
    {
        foreach (var message in new[] { Receipt.Descriptor, Reason.Descriptor })
            Assert.That(StringFields(message, []), Is.Empty, $"{message.Name} is hashed into blocks: text there makes rewording a fork");
        foreach (var record in new[] { GovernanceProposalRecord.Descriptor, TaskRecord.Descriptor, Verification.Descriptor })
            Assert.That(record.FindFieldByName("outcome").MessageType, Is.EqualTo(Reason.Descriptor), $"{record.Name}.outcome");
    }

    [Test]
    public void Rewording_every_message_moves_no_hash_of_the_fixture_chain()
    {
        var reworded = new ReasonText(Enum.GetValues<ReasonCode>().ToDictionary(c => c, c => (Func<ReasonText.Args, string>)(_ => $"reworded {c}")));
        var f = Built.Value;
        Assert.That(f.Failure, Is.Null, $"the fixture's script stopped at height {f.Head}: {f.Failure}");
        var pinned = PinnedBlocks.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixture", PinnedBlocks.FileName)));
        Assert.That(PinnedBlocks.FirstDifference(pinned, f.Blocks), Is.Null, "the fixture chain matches its pinned hashes");

        int failed = 0;
        var blocks = f.Chain.Processor.Blocks;
        for (ulong height = 1; height <= f.Head; height++)
        {
            foreach (var tx in blocks.GetBlock(height)!.Transactions)
            {
                var receipt = blocks.GetReceipt(tx.Id)!;
                if (receipt.Status == ReceiptStatus.Success) continue;
                failed++;
                string words = ReasonText.Default.Describe(receipt.Failure, tx.Body);
                Assert.That(reworded.Describe(receipt.Failure, tx.Body), Is.Not.EqualTo(words));
                // The receipt as hashed holds none of the words a user reads for it.
                Assert.That(Contains(receipt.ToByteArray(), Encoding.UTF8.GetBytes(words)), Is.False, $"height {height}: '{words}' is inside the receipt");
            }
        }
        Assert.That(failed, Is.GreaterThan(20), "the fixture has failed transactions of many kinds");
    }

    private static IEnumerable<string> StringFields(MessageDescriptor message, HashSet<string> seen)
    {
        if (!seen.Add(message.FullName)) yield break;
        foreach (var field in message.Fields.InDeclarationOrder())
        {
            if (field.FieldType == FieldType.String) yield return $"{message.Name}.{field.Name}";
            if (field.FieldType == FieldType.Message)
                foreach (var inner in StringFields(field.MessageType, seen)) yield return inner;
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
