using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using NUnit.Framework;

namespace IExecChain.Core.Tests.Crypto;

public class KeystoreV3Tests
{
    // The "Web3 Secret Storage Definition" test vectors (Ethereum wiki, now ethereum.org/developers/docs/data-structures-and-encoding/web3-secret-storage).
    private const string Password = "testpassword";
    private const string Secret = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

    private const string Pbkdf2Vector = """
        {
          "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": { "iv": "6087dab2f9fdbbfaddc31a909735c1e6" },
            "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
            "kdf": "pbkdf2",
            "kdfparams": { "c": 262144, "dklen": 32, "prf": "hmac-sha256", "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd" },
            "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
          },
          "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
          "version": 3
        }
        """;

    // The definition's scrypt vector (iv 740770fc…, salt 25710c2c…) is internally inconsistent: its
    // MAC matches the derived key it lists (7446f59e…), but scrypt over its salt and parameters
    // gives b4130dc8… (OpenSSL via Python hashlib agrees), so geth-compatible tools, ethers 6.17
    // included, reject it as a wrong password. This vector keeps its salt, iv, password and secret
    // and was re-encrypted with ethers 6.17.0 (encryptKeystoreJsonSync, N = 2^18, r = 8, p = 1);
    // its ciphertext was checked independently with `openssl enc -aes-128-ctr` under b4130dc8….
    // ethers writes "Crypto" with a capital C, which the test also exercises.
    private const string ScryptVector = """
        {"address":"008aeeda4d805471df9b2a5b0f38a0c3bcba786b","id":"3198bc9c-6672-4ab3-9995-4942343ae5b6","version":3,
         "Crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"740770fce12ce862af21264dab25f1da"},
           "ciphertext":"1b368ffb2db0fcec8802eceba0b2820ae1069ef3815ac97ca1031371748f6e18","kdf":"scrypt",
           "kdfparams":{"salt":"25710c2ccd7c610b24d068af83b959b7a0e5f40641f0c82daeb1345766191034","n":262144,"dklen":32,"p":1,"r":8},
           "mac":"61de4bf77db2f8e07e01232c045e5b455997efeb22bb8ea08a66ff5a252182a6"}}
        """;

    private const string PublishedInconsistentScryptVector = """
        {
          "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": { "iv": "740770fce12ce862af21264dab25f1da" },
            "ciphertext": "dd8a1132cf57db67c038c6763afe2cbe6ea1949a86abc5843f8ca656ebbb1ea2",
            "kdf": "scrypt",
            "kdfparams": { "dklen": 32, "n": 262144, "p": 1, "r": 8, "salt": "25710c2ccd7c610b24d068af83b959b7a0e5f40641f0c82daeb1345766191034" },
            "mac": "337aeb86505d2d0bb620effe57f18381377d67d76dac1090626aa5cd20886a7c"
          },
          "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
          "version": 3
        }
        """;

    // The original wiki scrypt vector uses r = 1 with N = 2^18, which breaks scrypt's N < 2^(16·r)
    // rule; OpenSSL, BouncyCastle and ethers all refuse it, and so do we, with a clear message.
    private const string OriginalWikiScryptVector = """
        {
          "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": { "iv": "83dbcc02d8ccb40e466191a123791e0e" },
            "ciphertext": "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
            "kdf": "scrypt",
            "kdfparams": { "dklen": 32, "n": 262144, "r": 1, "p": 8, "salt": "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19" },
            "mac": "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
          },
          "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
          "version": 3
        }
        """;

    [TestCase(Pbkdf2Vector, TestName = "Published_pbkdf2_vector_decrypts_to_the_published_secret")]
    [TestCase(ScryptVector, TestName = "Scrypt_vector_with_the_published_salt_and_iv_decrypts_to_the_published_secret")]
    public void Published_vector_decrypts(string json)
    {
        var key = KeystoreV3.Decrypt(json, Password);
        Assert.That(Hex.Encode(key.Bytes), Is.EqualTo(Secret));
        Assert.That(key.Address, Is.EqualTo(Address.Parse("0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b")));
    }

    [Test]
    public void Inconsistent_published_scrypt_vector_fails_its_MAC_check_as_in_geth_and_ethers()
    {
        var ex = Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(PublishedInconsistentScryptVector, Password));
        Assert.That(ex!.Message, Does.Contain("MAC"));
    }

    [Test]
    public void Original_wiki_scrypt_vector_is_refused_for_breaking_the_scrypt_parameter_rule()
    {
        var ex = Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(OriginalWikiScryptVector, Password));
        Assert.That(ex!.Message, Does.Contain("2^(16").And.Contain("n=262144"));
    }

    [Test]
    public void Wrong_password_is_reported_as_a_MAC_mismatch()
    {
        var ex = Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(Pbkdf2Vector, "testpassworD"));
        Assert.That(ex!.Message, Does.Contain("wrong password").And.Contain("MAC"));
    }

    [TestCase(KeystoreKdf.Scrypt)]
    [TestCase(KeystoreKdf.Pbkdf2)]
    public void Encrypted_key_round_trips(KeystoreKdf kdf)
    {
        var key = PrivateKey.Generate();
        string json = KeystoreV3.Encrypt(key, "correct horse battery staple", kdf, scryptN: 1024);
        var opened = KeystoreV3.Decrypt(json, "correct horse battery staple");
        Assert.That(opened.Bytes.SequenceEqual(key.Bytes), Is.True);
        Assert.That(opened.Address, Is.EqualTo(key.Address));
        Assert.That(json, Does.Contain($"\"address\":\"{Hex.Encode(key.Address.ToArray(), prefix: false)}\""));
        Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(json, "wrong"));
    }

    [Test]
    public void Default_scrypt_parameters_match_geth()
    {
        string json = KeystoreV3.Encrypt(PrivateKey.Generate(), "x");
        Assert.That(json, Does.Contain("\"n\":262144").And.Contain("\"r\":8").And.Contain("\"p\":1").And.Contain("\"version\":3"));
    }

    [TestCase("not json", "not valid JSON")]
    [TestCase("""{"version":3}""", "'crypto'")]
    [TestCase("""{"version":1,"crypto":{}}""", "version 1")]
    [TestCase("""{"version":3,"crypto":{"cipher":"aes-128-cbc"}}""", "unsupported cipher 'aes-128-cbc'")]
    [TestCase("""{"version":3,"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"00000000000000000000000000000000"},"ciphertext":"0000000000000000000000000000000000000000000000000000000000000000","mac":"0000000000000000000000000000000000000000000000000000000000000000","kdf":"argon2","kdfparams":{"dklen":32,"salt":"00"}}}""", "unsupported kdf 'argon2'")]
    [TestCase("""{"version":3,"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"00000000000000000000000000000000"},"ciphertext":"0000000000000000000000000000000000000000000000000000000000000000","mac":"0000000000000000000000000000000000000000000000000000000000000000","kdf":"scrypt","kdfparams":{"dklen":32,"salt":"00","r":8,"p":1}}}""", "'crypto.kdfparams.n'")]
    [TestCase("""{"version":3,"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"00000000000000000000000000000000"},"ciphertext":"0000000000000000000000000000000000000000000000000000000000000000","kdf":"scrypt"}}""", "'crypto.mac'")]
    [TestCase("""{"version":3,"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"00000000000000000000000000000000"},"ciphertext":"0000000000000000000000000000000000000000000000000000000000000000","mac":"0000000000000000000000000000000000000000000000000000000000000000","kdf":"pbkdf2","kdfparams":{"dklen":32,"salt":"00","c":1,"prf":"hmac-sha512"}}}""", "unsupported pbkdf2 prf")]
    public void Malformed_or_unsupported_keystore_is_explained(string json, string expected)
    {
        var ex = Assert.Throws<KeystoreException>(() => KeystoreV3.Decrypt(json, "x"));
        Assert.That(ex!.Message, Does.Contain(expected));
    }

    [Test]
    public void Capitalized_Crypto_field_of_older_wallets_is_accepted()
    {
        var key = PrivateKey.Generate();
        string json = KeystoreV3.Encrypt(key, "pw", scryptN: 2).Replace("\"crypto\"", "\"Crypto\"", StringComparison.Ordinal);
        Assert.That(KeystoreV3.Decrypt(json, "pw").Address, Is.EqualTo(key.Address));
    }
}
