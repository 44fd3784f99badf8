using System.Text;
using IExecChain.Core.Primitives;
using IExecChain.Core.Specs;
using IExecChain.Node.Cli;
using IExecChain.State.Market.Requirements;

namespace IExecChain.Fuzzing.Targets;

/// <summary>
/// Text that users and operators write: requirements in orders, order files, chain specs and node
/// config. Each is refused with the exception type its loader documents (a message naming the
/// field); any other exception is a finding.
/// </summary>
public static class TextTargets
{
    private static readonly AttributeSet Worker = AttributeSet.Create(
        ("cpu.cores", AttributeValue.Of(8)), ("memory.mb", AttributeValue.Of(16384)), ("gpu", AttributeValue.Of(true)), ("region", AttributeValue.Of("eu")));
    private static readonly AttributeSet Requester = AttributeSet.Create(("input.mb", AttributeValue.Of(300)), ("region", AttributeValue.Of("eu")));
    private static readonly Address Sender = new(new byte[20]);
    private static readonly string BaseDir = Path.GetTempPath();

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("requirements", "the requirements of orders (transactions, order files)", Requirements);
        yield return new FuzzTarget("order-json", "`iexchain market place ORDER.json`", OrderFile);
        yield return new FuzzTarget("chain-spec", "chain-spec/*.json given to `iexchain run`", ChainSpecFile);
        yield return new FuzzTarget("node-config", "`iexchain run --config FILE`", NodeConfig);
    }

    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    private static void Requirements(byte[] input)
    {
        if (!Requirement.TryParse(Text(input), out var requirement, out var error))
        {
            if (error is null) throw new InvalidOperationException("a refused requirement must say why");
            return;
        }
        // Matching runs the parsed expression against both sides' attributes, in both directions.
        requirement.IsSatisfied(Worker, Requester);
        requirement.IsSatisfied(Requester, Worker);
    }

    private static void OrderFile(byte[] input)
    {
        try
        {
            OrderJson.Parse(Text(input), Sender);
        }
        catch (CliException e) when (e.Message.Length > 0)
        {
        }
    }

    private static void ChainSpecFile(byte[] input)
    {
        try
        {
            ChainSpecLoader.Parse(Text(input));
        }
        catch (ChainSpecException e) when (e.Message.Length > 0)
        {
        }
    }

    private static void NodeConfig(byte[] input)
    {
        try
        {
            NodeConfigFile.Parse(Text(input), "fuzz.json", BaseDir);
        }
        catch (CliException e) when (e.Message.Length > 0)
        {
        }
    }
}
