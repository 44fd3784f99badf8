using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using NUnit.Framework;

namespace IExecChain.BrowserTests;

// The governance pages with a real proposal, made through the CLI by the node's validator.
public sealed partial class ExplorerTests
{
    [Test]
    public async Task Governance_pages_show_a_real_proposal_and_its_vote_as_the_rpc_gives_them()
    {
        // A parameter change within its bounds: the first parameter, one nRLC from its value.
        JsonElement parameter = (await _rpc.CallAsync("iex_getGovernableParameters")).GetProperty("parameters")[0];
        string name = parameter.GetProperty("name").GetString()!;
        ulong value = Quantity(parameter.GetProperty("value")), min = Quantity(parameter.GetProperty("min")), max = Quantity(parameter.GetProperty("max"));
        ulong wanted = value < max ? value + 1 : value > min ? value - 1 : throw new InconclusiveException($"{name} has no room to change");
        string validator = (await _rpc.CallAsync("iex_nodeInfo")).GetProperty("validator").GetString()!;
        _node.SendAsAccount("tx", "transfer", "--to", validator, "--amount", "1RLC"); // the proposal's fee
        string description = _node.WriteFile("proposal.txt", $"Change {name} to {wanted}: a browser test.\n");
        _node.SendAsValidator("gov", "propose", "change-parameter", "--name", name, "--value", wanted.ToString(CultureInfo.InvariantCulture), "--description", description);
        JsonElement listed = (await _rpc.CallAsync("iex_listProposals", new { limit = 1 })).GetProperty("items")[0];
        string id = Quantity(listed.GetProperty("id")).ToString(CultureInfo.InvariantCulture);
        // The proposer's own yes counts: with the only validator behind it, the proposal passes at once.
        JsonElement proposal = await _rpc.CallAsync("iex_getProposal", id);
        Assert.That(proposal.GetProperty("yes").EnumerateArray().Select(v => v.GetString()), Is.EqualTo(new[] { validator }), "the RPC's record of the vote");

        // The list: the newest proposal first, with its action and one yes vote.
        IPage page = await OpenAsync();
        await page.GotoAsync(Url + "#/governance");
        ILocator row = page.Locator("table[data-list=proposals] tbody tr").First;
        await row.Locator("a").First.WaitForAsync();
        string[] cells = [.. await row.Locator("td").AllTextContentsAsync()];
        Assert.That(cells[0], Is.EqualTo($"#{id}"));
        Assert.That(cells[1], Does.Contain(name).And.Contain(wanted.ToString("N0", CultureInfo.InvariantCulture)), "the action names the parameter and the value");
        Assert.That((cells[3], cells[4]), Is.EqualTo(("1", "0")), "yes and no votes");
        Assert.That(cells[5], Is.EqualTo(Quantity(proposal.GetProperty("createdHeight")).ToString("N0", CultureInfo.InvariantCulture)));
        Assert.That(cells[6], Is.EqualTo(Quantity(proposal.GetProperty("deadlineHeight")).ToString("N0", CultureInfo.InvariantCulture)));
        await Screenshots.TakeAsync(page, "governance");

        // The proposal's own page, reached from the list: proposer, status and the vote by the validator.
        await row.Locator("a").First.ClickAsync();
        await page.Locator("[data-record=proposal]").WaitForAsync();
        Assert.That(page.Url, Does.EndWith($"#/proposal/{id}"));
        Assert.That(await page.Locator("[data-field=proposer] a").GetAttributeAsync("title"), Is.EqualTo(proposal.GetProperty("proposer").GetString()));
        Assert.That(await page.Locator("[data-record=proposal]").TextContentAsync(), Does.Contain(proposal.GetProperty("descriptionHash").GetString()), "the description's hash");
        string shownStatus = (await page.Locator("[data-field=status] td").TextContentAsync())!;
        string statusAfter = (await _rpc.CallAsync("iex_getProposal", id)).GetProperty("status").GetString()!;
        Assert.That(shownStatus, Is.EqualTo(proposal.GetProperty("status").GetString()).Or.EqualTo(statusAfter), "the status the node gave before or after the load");
        ILocator votes = page.Locator("table[data-list=votes] tbody tr");
        Assert.That(await votes.CountAsync(), Is.EqualTo(1));
        Assert.That(await votes.First.Locator("a").GetAttributeAsync("title"), Is.EqualTo(validator));
        Assert.That(await votes.First.Locator("td").Last.TextContentAsync(), Is.EqualTo("yes"));

        // The proposal's transaction, whose payload the page reads from the raw bytes (the node's
        // transaction object leaves it out): the parameter, the value and the description's hash.
        JsonElement sent = (await _rpc.CallAsync("iex_listTransactions", new { account = validator, limit = 1 })).GetProperty("items")[0];
        Assert.That(sent.GetProperty("type").GetString(), Is.EqualTo("propose"));
        await page.GotoAsync(Url + $"#/tx/{sent.GetProperty("hash").GetString()}");
        ILocator payload = page.Locator("[data-record=payload]");
        await payload.WaitForAsync();
        string decoded = (await payload.TextContentAsync())!;
        Assert.That(decoded, Does.Contain(name).And.Contain(wanted.ToString("N0", CultureInfo.InvariantCulture)), "the parameter change read from the raw bytes");
        Assert.That(decoded, Does.Contain(proposal.GetProperty("descriptionHash").GetString()), "the description's hash read from the raw bytes");
    }

    private static ulong Quantity(JsonElement value) => Rpc.Contracts.Client.JsonRpcClient.Quantity(value);
}
