using System.Text.Json;
using IExecChain.Node.Cli;
using NUnit.Framework;

namespace IExecChain.Node.Tests;

/// <summary>`iexchain query`: the RPC's 0x quantities shown as RLC, decimal and UTC; everything else untouched.</summary>
public class QueryDisplayTests
{
    private static JsonElement Shown(string rpcJson) => JsonDocument.Parse(QueryDisplay.Format(JsonDocument.Parse(rpcJson).RootElement)).RootElement;

    [Test]
    public void An_account_shows_amounts_in_rlc_and_nonces_and_heights_in_decimal()
    {
        var account = Shown("""
            {"address": "0x00000000000000000000000000000000000a11ce", "blockNumber": "0x1f", "balance": "0x9502f900", "frozen": "0x0",
             "nonce": "0xa", "pendingNonce": "0xb", "validatorStake": "0x5af3107a4000", "workerStake": "0x3b9aca00",
             "unbonding": [{"role": "worker", "amount": "0x174876e800", "releaseHeight": "0x64"}]}
            """);
        Assert.That(account.GetProperty("address").GetString(), Is.EqualTo("0x00000000000000000000000000000000000a11ce"));
        Assert.That(account.GetProperty("blockNumber").GetUInt64(), Is.EqualTo(31));
        Assert.That(account.GetProperty("balance").GetString(), Is.EqualTo("2.5 RLC"));
        Assert.That(account.GetProperty("frozen").GetString(), Is.EqualTo("0 RLC"));
        Assert.That(account.GetProperty("nonce").GetUInt64(), Is.EqualTo(10));
        Assert.That(account.GetProperty("pendingNonce").GetUInt64(), Is.EqualTo(11));
        Assert.That(account.GetProperty("validatorStake").GetString(), Is.EqualTo("100000 RLC"));
        Assert.That(account.GetProperty("workerStake").GetString(), Is.EqualTo("1 RLC"));
        var unbonding = account.GetProperty("unbonding")[0];
        Assert.That(unbonding.GetProperty("role").GetString(), Is.EqualTo("worker"));
        Assert.That(unbonding.GetProperty("amount").GetString(), Is.EqualTo("100 RLC"));
        Assert.That(unbonding.GetProperty("releaseHeight").GetUInt64(), Is.EqualTo(100));
    }

    [Test]
    public void A_block_shows_its_number_and_counts_in_decimal_its_times_in_utc_and_keeps_its_hashes()
    {
        const string hash = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        var block = Shown($$$"""
            {"number": "0x10", "hash": "{{{hash}}}", "timestamp": "0x19a5307a000", "chainId": "0x539", "transactionCount": "0x2",
             "transactions": ["{{{hash}}}"], "commit": {"height": "0x10", "round": 0, "signatures": [{"validator": "0x01", "timestamp": "0x0"}]}}
            """);
        Assert.That(block.GetProperty("number").GetUInt64(), Is.EqualTo(16));
        Assert.That(block.GetProperty("hash").GetString(), Is.EqualTo(hash));
        Assert.That(block.GetProperty("timestamp").GetString(), Is.EqualTo("2025-11-05T08:00:00.000Z"));
        Assert.That(block.GetProperty("chainId").GetUInt64(), Is.EqualTo(1337));
        Assert.That(block.GetProperty("transactionCount").GetUInt64(), Is.EqualTo(2));
        Assert.That(block.GetProperty("transactions")[0].GetString(), Is.EqualTo(hash));
        Assert.That(block.GetProperty("commit").GetProperty("height").GetUInt64(), Is.EqualTo(16));
        Assert.That(block.GetProperty("commit").GetProperty("signatures")[0].GetProperty("timestamp").GetString(), Is.EqualTo("1970-01-01T00:00:00.000Z"));
    }

    [Test]
    public void A_transaction_and_its_receipt_show_fees_in_rlc_and_a_failure_s_numbers_in_decimal()
    {
        var shown = Shown("""
            {"transaction": {"nonce": "0x3", "fee": "0x2710", "payload": {"to": "0x0000000000000000000000000000000000000002", "amount": "0x1"},
                             "blockNumber": "0x5", "transactionIndex": "0x0", "raw": "0xf86c"},
             "receipt": {"status": "failed", "feePaid": "0x2710", "failure": {"code": 3, "numbers": ["0x64", "0x1"], "ids": ["0x02"]}}}
            """);
        var tx = shown.GetProperty("transaction");
        Assert.That(tx.GetProperty("nonce").GetUInt64(), Is.EqualTo(3));
        Assert.That(tx.GetProperty("fee").GetString(), Is.EqualTo("0.00001 RLC"));
        Assert.That(tx.GetProperty("payload").GetProperty("amount").GetString(), Is.EqualTo("0.000000001 RLC"));
        Assert.That(tx.GetProperty("raw").GetString(), Is.EqualTo("0xf86c"), "bytes are not quantities");
        var receipt = shown.GetProperty("receipt");
        Assert.That(receipt.GetProperty("feePaid").GetString(), Is.EqualTo("0.00001 RLC"));
        Assert.That(receipt.GetProperty("failure").GetProperty("numbers").EnumerateArray().Select(n => n.GetUInt64()), Is.EqualTo(new ulong[] { 100, 1 }));
        Assert.That(receipt.GetProperty("failure").GetProperty("ids")[0].GetString(), Is.EqualTo("0x02"));
    }

    [Test]
    public void A_known_field_that_is_not_a_quantity_is_left_as_it_came()
    {
        var shown = Shown("""{"id": "0x00000000000000000000000000000000000a11ce", "blockNumber": null, "amount": "12"}""");
        Assert.That(shown.GetProperty("id").GetString(), Is.EqualTo("0x00000000000000000000000000000000000a11ce"));
        Assert.That(shown.GetProperty("blockNumber").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(shown.GetProperty("amount").GetString(), Is.EqualTo("12"));
    }
}
