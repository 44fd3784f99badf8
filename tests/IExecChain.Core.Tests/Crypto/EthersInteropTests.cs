using System.Text.Json;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Crypto;

/// <summary>Our keys, signatures and keystores against ethers v6, an independent implementation.</summary>
[NonParallelizable]
public class EthersInteropTests
{
    private const string KeystorePassword = "iExec ethers interop";
    private static readonly string[] PrivateKeys = BuildKeys();
    private static readonly (string PrivateKey, string Digest)[] Signatures = BuildSignatureInputs();
    private JsonElement _vectors;

    [OneTimeSetUp]
    public void GenerateVectorsWithEthers()
    {
        EthersVectors.EnsureInstalled();
        _vectors = EthersVectors.Run("generate", new
        {
            privateKeys = PrivateKeys,
            signatures = Signatures.Select(s => new { privateKey = s.PrivateKey, digest = s.Digest }).ToArray(),
            keystore = new { privateKey = PrivateKeys[2], password = KeystorePassword },
        });
        TestContext.Progress.WriteLine($"ethers {_vectors.GetProperty("version").GetString()} vectors generated");
    }

    [Test]
    public void Addresses_match_ethers()
    {
        foreach (var entry in _vectors.GetProperty("addresses").EnumerateArray())
        {
            var key = PrivateKey.FromHex(entry.GetProperty("privateKey").GetString()!);
            Assert.That(key.Address.ToChecksumString(), Is.EqualTo(entry.GetProperty("address").GetString()));
        }
    }

    [TestCase("native")]
    [TestCase("managed")]
    public void Signatures_match_ethers(string backendName)
    {
        var backend = Backends.Get(backendName);
        var signature = new byte[65];
        int count = 0;
        foreach (var entry in _vectors.GetProperty("signatures").EnumerateArray())
        {
            byte[] key = Hex.Decode(entry.GetProperty("privateKey").GetString()!);
            byte[] digest = Hex.Decode(entry.GetProperty("digest").GetString()!);
            backend.Sign(key, digest, signature);
            string expected = entry.GetProperty("r").GetString() + entry.GetProperty("s").GetString()![2..]
                + entry.GetProperty("yParity").GetInt32().ToString("x2");
            Assert.That(Hex.Encode(signature), Is.EqualTo(expected), $"key {entry.GetProperty("privateKey")}, digest {entry.GetProperty("digest")}");
            count++;
        }
        Assert.That(count, Is.EqualTo(Signatures.Length));
    }

    [Test]
    public void Keystore_written_by_ethers_decrypts()
    {
        string json = _vectors.GetProperty("keystore").GetString()!;
        var key = KeystoreV3.Decrypt(json, KeystorePassword);
        Assert.That(Hex.Encode(key.Bytes), Is.EqualTo(PrivateKeys[2]));
    }

    [Test]
    public void Keystores_written_by_us_decrypt_in_ethers()
    {
        var key = PrivateKey.FromHex(PrivateKeys[3]);
        string scrypt = KeystoreV3.Encrypt(key, KeystorePassword, KeystoreKdf.Scrypt, scryptN: 1024);
        string pbkdf2 = KeystoreV3.Encrypt(key, KeystorePassword, KeystoreKdf.Pbkdf2);
        var opened = EthersVectors.Run("decrypt", new { password = KeystorePassword, keystores = new[] { scrypt, pbkdf2 } });
        Assert.That(opened.GetArrayLength(), Is.EqualTo(2));
        foreach (var account in opened.EnumerateArray())
        {
            Assert.That(account.GetProperty("privateKey").GetString(), Is.EqualTo(PrivateKeys[3]));
            Assert.That(account.GetProperty("address").GetString(), Is.EqualTo(key.Address.ToChecksumString()));
        }
    }

    private static string[] BuildKeys()
    {
        var keys = new List<string>
        {
            "0x0000000000000000000000000000000000000000000000000000000000000001",
            "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
        };
        for (int i = 0; i < 18; i++)
            keys.Add(Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes($"ethers interop key {i}")).ToString());
        return [.. keys];
    }

    private static (string, string)[] BuildSignatureInputs()
    {
        var inputs = new List<(string, string)>();
        for (int i = 0; i < 40; i++)
        {
            string digest = Keccak256.Hash(System.Text.Encoding.ASCII.GetBytes($"ethers interop digest {i}")).ToString();
            inputs.Add((PrivateKeys[i % PrivateKeys.Length], digest));
        }
        inputs.Add((PrivateKeys[0], "0x" + new string('f', 64)));
        inputs.Add((PrivateKeys[1], "0x" + new string('0', 64)));
        return [.. inputs];
    }
}
