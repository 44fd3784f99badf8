using System.Text.Json;
using IExecChain.Core.Crypto;
using IExecChain.Core.Wire;
using NUnit.Framework;

namespace IExecChain.State.Tests.ClientVectors;

/// <summary>
/// The committed vectors of the explorer's JS client are what the node produces: every run rebuilds
/// tests/vectors/transactions.json with the node's code and compares, and opens each keystore of
/// tests/vectors/keystores.json with the node's KeystoreV3. The JS side (ClientModuleTests) checks
/// the client against the same files, so the two encoders are compared through them.
/// </summary>
[TestFixture]
public sealed class ClientVectorTests
{
    [Test]
    public void The_committed_transaction_vectors_are_what_the_node_encodes_and_signs()
    {
        string built = VectorFiles.FormatTransactions(TransactionVectors.All());
        string path = VectorFiles.TransactionsPath;
        if (Environment.GetEnvironmentVariable(VectorFiles.RegenerateVariable) == "1")
        {
            File.WriteAllText(path, built);
            // Failing keeps a forgotten variable from turning the comparison off for good.
            Assert.Fail($"Regenerated {path} because {VectorFiles.RegenerateVariable}=1. Review it with git diff, commit it, and run again without the variable.");
        }
        Assert.That(File.Exists(path), Is.True, $"{path} is missing; create it with: {VectorFiles.RegenerateCommand}");
        string committed = File.ReadAllText(path);
        if (committed == built) return;
        Assert.Fail($"{path} differs from what the node builds now, first at: {FirstDifference(committed, built)}.\n" +
            $"If the change of encoding is deliberate (it breaks every client), regenerate the file and commit it: {VectorFiles.RegenerateCommand}");
    }

    [Test]
    public void The_vectors_cover_every_payload_type_and_every_order_kind()
    {
        var vectors = TransactionVectors.All();
        var payloads = vectors.Select(v => v.Body.PayloadCase).ToHashSet();
        var missing = Enum.GetValues<TransactionBody.PayloadOneofCase>().Where(c => c != TransactionBody.PayloadOneofCase.None && !payloads.Contains(c)).ToList();
        Assert.That(missing, Is.Empty, "payload types without a vector (add one, and the payload to the JS client's messages.js)");
        var orders = vectors.Where(v => v.Body.PayloadCase == TransactionBody.PayloadOneofCase.PlaceOrder).Select(v => v.Body.PlaceOrder.OrderCase).ToHashSet();
        Assert.That(orders, Is.EquivalentTo(Enum.GetValues<PlaceOrder.OrderOneofCase>().Where(c => c != PlaceOrder.OrderOneofCase.None)));
        Assert.That(vectors.Select(v => v.Name), Is.Unique);
    }

    [Test]
    public void Each_committed_keystore_vector_opens_with_the_node_to_its_key_and_refuses_another_password()
    {
        string path = VectorFiles.KeystoresPath;
        if (Environment.GetEnvironmentVariable(VectorFiles.RegenerateVariable) == "keystores")
        {
            File.WriteAllText(path, VectorFiles.FormatKeystores());
            Assert.Fail($"Regenerated {path} because {VectorFiles.RegenerateVariable}=keystores. Review it, commit it, and run again without the variable.");
        }
        Assert.That(File.Exists(path), Is.True, $"{path} is missing; create it with: {VectorFiles.RegenerateKeystoresCommand}");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var entries = document.RootElement.GetProperty("keystores").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("name").GetString()), Is.EqualTo(VectorFiles.Keystores.Select(k => k.Name)));
        foreach (var entry in entries)
        {
            string name = entry.GetProperty("name").GetString()!;
            string json = entry.GetProperty("keystore").GetRawText();
            var key = KeystoreV3.Decrypt(json, entry.GetProperty("password").GetString()!);
            Assert.That(key.ToHex(), Is.EqualTo(entry.GetProperty("privateKey").GetString()), name);
            Assert.That(key.Address.ToString(), Is.EqualTo(entry.GetProperty("address").GetString()), name);
            var wrong = Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(json, entry.GetProperty("password").GetString() + "x"), name);
            Assert.That(wrong!.Message, Does.StartWith("wrong password"), name);
        }
        var kdfs = entries.Select(e => e.GetProperty("keystore").GetProperty("crypto").GetProperty("kdf").GetString()).ToHashSet();
        Assert.That(kdfs, Is.EquivalentTo(new[] { "scrypt", "pbkdf2" }));
    }

    /// <summary>The name of the first vector that differs, or the first differing line when the vectors agree but the text does not.</summary>
    private static string FirstDifference(string committed, string built)
    {
        try
        {
            using var a = JsonDocument.Parse(committed);
            using var b = JsonDocument.Parse(built);
            var was = a.RootElement.GetProperty("transactions").EnumerateArray().ToList();
            var now = b.RootElement.GetProperty("transactions").EnumerateArray().ToList();
            for (int i = 0; i < Math.Min(was.Count, now.Count); i++)
            {
                if (was[i].GetRawText() != now[i].GetRawText())
                    return $"vector {i} \"{now[i].GetProperty("name").GetString()}\"\n  committed: {was[i].GetRawText()}\n  built:     {now[i].GetRawText()}";
            }
            if (was.Count != now.Count) return $"the file has {was.Count} vectors, the node builds {now.Count}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"the committed file does not parse as vectors ({e.Message})";
        }
        string[] committedLines = committed.Split('\n'), builtLines = built.Split('\n');
        for (int i = 0; i < Math.Min(committedLines.Length, builtLines.Length); i++)
            if (committedLines[i] != builtLines[i]) return $"line {i + 1}: '{committedLines[i]}' vs '{builtLines[i]}'";
        return "the end of the file";
    }
}
