using IExecChain.Node.Devnet;
using IExecChain.TestSupport;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>The devnet's dev account left to the user: no demo sends from it, and the README names it.</summary>
public class DevnetKeysTests
{
    [Test]
    public void The_demo_load_never_sends_from_the_user_account_nor_from_the_market_funder()
    {
        Assert.That(DevnetCommand.LoadAccounts, Does.Not.Contain(DevnetCommand.UserAccount));
        Assert.That(DevnetCommand.LoadAccounts, Does.Not.Contain(0), "account 0 funds the market demo");
        Assert.That(DevnetCommand.LoadAccounts, Has.Count.GreaterThanOrEqualTo(2), "the load transfers between accounts");
        Assert.That(DevnetCommand.UserAccount, Is.InRange(0, DevnetCommand.DevAccounts - 1), "the devnet writes its keystore");
    }

    [Test]
    public void The_readme_names_the_user_account_by_index_and_address()
    {
        Docs.AssertQuotes("README.md", $"account-{DevnetCommand.UserAccount}.json");
        Docs.AssertQuotes("README.md", DevKeys.Account(DevnetCommand.UserAccount).Address.ToString());
    }
}
