using System.Globalization;
using System.Text;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Tests.Fixture;

/// <summary>
/// The pinned file: one line per height, "height block-hash state-root tx-root receipt-root # phase",
/// plain text so a regenerated file reads well in a diff. Lines starting with '#' are comments.
/// </summary>
internal static class PinnedBlocks
{
    public const string FileName = "consensus-fixture.txt";
    public const string RegenerateVariable = "IEXEC_REGENERATE_FIXTURE";
    public const string RegenerateCommand = RegenerateVariable + "=1 dotnet test tests/IExecChain.State.Tests --filter ConsensusFixture";

    private static readonly string[] Header =
    [
        "# The consensus fixture: every block of the chain tests/IExecChain.State.Tests/Fixture/ConsensusFixture.cs builds,",
        "# with its block hash, state root, transaction root and receipt root. ConsensusFixtureTests fails at the first",
        "# height that differs: a change that moves these hashes is a consensus change (docs/consensus.md, \"Consensus changes\").",
        "# When the change is deliberate, regenerate this file and commit it with the change:",
        "#   " + RegenerateCommand,
        "# height block-hash state-root tx-root receipt-root # phase",
    ];

    public static string Format(IReadOnlyList<FixtureBlock> blocks)
    {
        var text = new StringBuilder();
        foreach (var line in Header) text.Append(line).Append('\n');
        foreach (var b in blocks)
        {
            text.Append(b.Height.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(b.Hashes.BlockHash).Append(' ').Append(b.Hashes.StateRoot).Append(' ')
                .Append(b.Hashes.TxRoot).Append(' ').Append(b.Hashes.ReceiptRoot)
                .Append(" # ").Append(b.Phase).Append('\n');
        }
        return text.ToString();
    }

    public static List<FixtureBlock> Parse(string text)
    {
        var blocks = new List<FixtureBlock>();
        int number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            int comment = line.IndexOf(" # ", StringComparison.Ordinal);
            string phase = comment < 0 ? "" : line[(comment + 3)..];
            var fields = (comment < 0 ? line : line[..comment]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 5 || !ulong.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong height)
                || !Hash256.TryParse(fields[1], out var blockHash) || !Hash256.TryParse(fields[2], out var stateRoot)
                || !Hash256.TryParse(fields[3], out var txRoot) || !Hash256.TryParse(fields[4], out var receiptRoot))
                throw new FormatException($"{FileName} line {number} is not 'height block-hash state-root tx-root receipt-root # phase': {line}");
            blocks.Add(new FixtureBlock(height, new PinnedHashes(blockHash, stateRoot, txRoot, receiptRoot), phase));
        }
        return blocks;
    }

    /// <summary>The first height whose hashes differ (or that one side lacks), or null when the two agree everywhere.</summary>
    public static (ulong Height, FixtureBlock? Pinned, FixtureBlock? Built)? FirstDifference(IReadOnlyList<FixtureBlock> pinned, IReadOnlyList<FixtureBlock> built)
    {
        int common = Math.Min(pinned.Count, built.Count);
        for (int i = 0; i < common; i++)
        {
            if (pinned[i].Height != built[i].Height) throw new FormatException($"{FileName} lists height {pinned[i].Height} where {built[i].Height} was expected");
            if (pinned[i].Hashes != built[i].Hashes) return (built[i].Height, pinned[i], built[i]);
        }
        if (pinned.Count == built.Count) return null;
        return pinned.Count > built.Count ? (pinned[common].Height, pinned[common], null) : (built[common].Height, null, built[common]);
    }

    /// <summary>Which of the four hashes differ at one height, pinned against built, and what that suggests.</summary>
    public static string Explain(FixtureBlock pinned, FixtureBlock built)
    {
        var text = new StringBuilder();
        void Field(string name, Hash256 was, Hash256 now)
        {
            if (was != now) text.Append("\n  ").Append(name).Append(": pinned ").Append(was).Append(", built ").Append(now);
        }
        Field("block hash  ", pinned.Hashes.BlockHash, built.Hashes.BlockHash);
        Field("state root  ", pinned.Hashes.StateRoot, built.Hashes.StateRoot);
        Field("tx root     ", pinned.Hashes.TxRoot, built.Hashes.TxRoot);
        Field("receipt root", pinned.Hashes.ReceiptRoot, built.Hashes.ReceiptRoot);
        var p = pinned.Hashes;
        var b = built.Hashes;
        string hint = p.TxRoot != b.TxRoot
            ? "the block holds other transactions: the script, a transaction's encoding or a fee changed"
            : p.StateRoot != b.StateRoot
                ? "the same transactions left a different state: execution, end-of-block work or the state encoding changed"
                : p.ReceiptRoot != b.ReceiptRoot
                    ? "same transactions, same state, other receipts: the receipt content or encoding changed"
                    : "all roots agree: a header field outside them changed (time, proposer, validator-set hashes, last commit, evidence) or the header encoding";
        text.Append("\n  that is: ").Append(hint);
        return text.ToString();
    }
}
