using System.Globalization;
using System.Text;
using Google.Protobuf;
using IExecChain.Core.Crypto;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Execution;
using IExecChain.State.Validators;
using NUnit.Framework;

namespace IExecChain.State.Tests;

/// <summary>The table of governable parameters against governance, the executor and docs/consensus.md.</summary>
[TestFixture]
public sealed class GovernableParametersTests
{
    private static IEnumerable<TestCaseData> Rows => GovernableParameters.All.Select(p => new TestCaseData(p).SetArgDisplayNames(p.Name));

    [TestCaseSource(nameof(Rows))]
    public void An_override_through_the_executor_changes_that_parameter_and_no_other(GovernableParameter parameter)
    {
        var spec = TestChain.BuildSpec(accounts: 1, unbondingPeriod: 3).Parameters;
        ulong value = parameter.Read(spec) + 12_345;
        Assert.That(parameter.Allows(value), "the test value must be one governance accepts");
        var executor = new TransactionExecutor(spec);

        executor.ApplyOverrides(new ParameterOverrides { Values = { new ChangeParameter { Name = parameter.Name, Value = value } } });

        var changed = executor.Parameters;
        Assert.That(parameter.Read(changed), Is.EqualTo(value), "the value reads back");
        foreach (var other in GovernableParameters.All.Where(o => o != parameter))
            Assert.That(other.Read(changed), Is.EqualTo(other.Read(spec)), $"{other.Name} must not move when {parameter.Name} does");
        // Catches a setter that also writes a field no row reads (block limits, consensus timeouts...).
        Assert.That(parameter.Write(changed, parameter.Read(spec)), Is.EqualTo(spec), "writing the old value back restores every field");
    }

    [Test]
    public void Names_are_unique_and_each_row_reads_a_different_field()
    {
        Assert.That(GovernableParameters.All.Select(p => p.Name), Is.Unique);
        var spec = TestChain.BuildSpec(accounts: 1, unbondingPeriod: 3).Parameters;
        // Two rows writing the same field would both read the value the last one wrote.
        var all = GovernableParameters.All.Select((p, i) => (p, Value: 1_000UL + (ulong)i)).ToList();
        var written = all.Aggregate(spec, (state, row) => row.p.Write(state, row.Value));
        foreach (var (p, value) in all) Assert.That(p.Read(written), Is.EqualTo(value), p.Name);
    }

    [Test]
    public void The_executor_refuses_an_override_of_a_name_outside_the_table_naming_it()
    {
        var executor = new TransactionExecutor(TestChain.BuildSpec(accounts: 1, unbondingPeriod: 3).Parameters);
        var unknown = new ParameterOverrides { Values = { new ChangeParameter { Name = "fees.anchorReceipt", Value = 1 } } };

        Assert.That(() => executor.ApplyOverrides(unknown), Throws.TypeOf<InvalidDataException>().With.Message.Contains("'fees.anchorReceipt'"));
    }

    [Test]
    public void Governance_accepts_each_parameter_at_its_bounds_and_refuses_values_outside()
    {
        var chain = new TestChain();
        chain.Produce(chain.Transfer(TestChain.Account(4), TestChain.Validator.Address, 1_000_000, 0));
        var expected = new List<(string? Error, string What)>();
        var proposals = new List<Transaction>();
        void Propose(GovernableParameter p, ulong value, string? error)
        {
            var proposal = new GovernancePropose
            {
                ChangeParameter = new ChangeParameter { Name = p.Name, Value = value },
                DescriptionHash = ByteString.CopyFrom(Keccak256.HashToArray("text"u8)),
            };
            proposals.Add(chain.Sign(TestChain.Validator, (ulong)proposals.Count, b => b.Propose = proposal, 10_000));
            expected.Add((error, $"{p.Name} = {value}"));
        }
        foreach (var p in GovernableParameters.All)
        {
            string Refusal(ulong v) => $"parameter '{p.Name}' must be in [{p.Min}, {p.Max}], got {v}";
            if (p.Max < ulong.MaxValue) Propose(p, p.Max + 1, Refusal(p.Max + 1));
            if (p.Min > 0) Propose(p, p.Min - 1, Refusal(p.Min - 1));
            Propose(p, p.Max, null);
            Propose(p, p.Min, null);   // last: the chain goes on with the least value
        }

        var executed = chain.Produce([.. proposals]);

        Assert.That(executed.Receipts, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < expected.Count; i++)
        {
            var receipt = executed.Receipts[i];
            string error = receipt.ErrorText(executed.Block.Transactions[i].Body);
            Assert.That(receipt.Status, Is.EqualTo(expected[i].Error is null ? ReceiptStatus.Success : ReceiptStatus.Failed), $"{expected[i].What}: {error}");
            Assert.That(error, Is.EqualTo(expected[i].Error ?? ""), expected[i].What);
        }
        foreach (var p in GovernableParameters.All)
            Assert.That(p.Read(chain.Processor.Executor.Parameters), Is.EqualTo(p.Min), $"{p.Name}: the last passed proposal is in force");
    }

    private const string DocsBegin = "<!-- BEGIN governable parameters";
    private const string DocsEnd = "<!-- END governable parameters -->";

    [Test]
    public void Consensus_md_lists_exactly_the_rows_of_the_table()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "consensus.md")).ReplaceLineEndings("\n");
        int begin = text.IndexOf(DocsBegin, StringComparison.Ordinal);
        int end = text.IndexOf(DocsEnd, StringComparison.Ordinal);
        Assert.That(begin, Is.GreaterThanOrEqualTo(0).And.LessThan(end), "docs/consensus.md marks its governable-parameters table");
        var documented = text[(text.IndexOf('\n', begin) + 1)..end];

        var expected = new StringBuilder("| Name | Unit | Min | Max | Meaning |\n|---|---|---|---|---|\n");
        foreach (var p in GovernableParameters.All)
            expected.Append(CultureInfo.InvariantCulture, $"| `{p.Name}` | {p.Unit switch { ParameterUnit.NanoRlc => "nRLC", _ => p.Unit.ToString() }} | {p.Min:N0} | {p.Max:N0} | {p.Doc} |\n");

        Assert.That(documented, Is.EqualTo(expected.ToString()), $"paste this between the markers in docs/consensus.md:\n{expected}");
    }
}
