using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IExecChain.Core.Primitives;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace IExecChain.Core.Crypto;

public enum KeystoreKdf
{
    Scrypt,
    Pbkdf2,
}

/// <summary>A keystore could not be opened: wrong password, unsupported parameters or malformed JSON.</summary>
public sealed class KeystoreException : Exception
{
    public KeystoreException(string message) : base(message) { }
    public KeystoreException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Ethereum Web3 Secret Storage v3 (the geth / ethers keystore format): AES-128-CTR under the
/// first half of a scrypt or PBKDF2-HMAC-SHA256 derived key, authenticated by
/// MAC = keccak256(derivedKey[16..32] ‖ ciphertext). The password is used as its UTF-8 bytes,
/// as geth does (ethers also NFKC-normalizes it, which changes nothing for ASCII passwords).
/// </summary>
public static class KeystoreV3
{
    /// <summary>geth's "standard" scrypt cost (N = 2^18, r = 8, p = 1: 256 MiB, about a second).</summary>
    public const int DefaultScryptN = 262144;
    public const int DefaultScryptR = 8;
    public const int DefaultScryptP = 1;
    /// <summary>PBKDF2 iteration count written by web3's pbkdf2 keystores.</summary>
    public const int DefaultPbkdf2Iterations = 262144;

    // Bounds on what a file may ask of us, so a hostile keystore cannot exhaust memory or CPU.
    private const long MaxScryptMemoryBytes = 1L << 30; // scrypt needs 128·N·r bytes
    private const int MaxPbkdf2Iterations = 10_000_000;

    /// <summary>
    /// Encrypts <paramref name="key"/> as keystore JSON. <paramref name="scryptN"/> (a power of two
    /// ≥ 2) lowers the scrypt cost for tests; it is ignored for PBKDF2.
    /// </summary>
    public static string Encrypt(PrivateKey key, string password, KeystoreKdf kdf = KeystoreKdf.Scrypt, int? scryptN = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(password);
        int n = scryptN ?? DefaultScryptN;
        if (kdf == KeystoreKdf.Scrypt && (n < 2 || !int.IsPow2(n)))
            throw new ArgumentOutOfRangeException(nameof(scryptN), n, "scrypt N must be a power of two ≥ 2");
        if (kdf is not (KeystoreKdf.Scrypt or KeystoreKdf.Pbkdf2))
            throw new ArgumentOutOfRangeException(nameof(kdf), kdf, "unknown KDF");

        byte[] salt = RandomNumberGenerator.GetBytes(32);
        byte[] iv = RandomNumberGenerator.GetBytes(16);
        byte[] passwordBytes = Encoding.UTF8.GetBytes(password);
        byte[] derived = kdf == KeystoreKdf.Scrypt
            ? SCrypt.Generate(passwordBytes, salt, n, DefaultScryptR, DefaultScryptP, 32)
            : Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, DefaultPbkdf2Iterations, HashAlgorithmName.SHA256, 32);
        byte[] ciphertext = AesCtr(derived.AsSpan(0, 16), iv, key.Bytes);
        Hash256 mac = Keccak256.HashConcat(derived.AsSpan(16, 16), ciphertext);
        CryptographicOperations.ZeroMemory(derived);
        CryptographicOperations.ZeroMemory(passwordBytes);

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("address", Hex.Encode(key.Address.ToArray(), prefix: false));
            json.WriteStartObject("crypto");
            json.WriteString("cipher", "aes-128-ctr");
            json.WriteString("ciphertext", Hex.Encode(ciphertext, prefix: false));
            json.WriteStartObject("cipherparams");
            json.WriteString("iv", Hex.Encode(iv, prefix: false));
            json.WriteEndObject();
            json.WriteString("kdf", kdf == KeystoreKdf.Scrypt ? "scrypt" : "pbkdf2");
            json.WriteStartObject("kdfparams");
            json.WriteNumber("dklen", 32);
            if (kdf == KeystoreKdf.Scrypt)
            {
                json.WriteNumber("n", n);
                json.WriteNumber("p", DefaultScryptP);
                json.WriteNumber("r", DefaultScryptR);
            }
            else
            {
                json.WriteNumber("c", DefaultPbkdf2Iterations);
                json.WriteString("prf", "hmac-sha256");
            }
            json.WriteString("salt", Hex.Encode(salt, prefix: false));
            json.WriteEndObject();
            json.WriteString("mac", Hex.Encode(mac.ToArray(), prefix: false));
            json.WriteEndObject();
            json.WriteString("id", Guid.NewGuid().ToString("D"));
            json.WriteNumber("version", 3);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Opens a v3 keystore. Throws <see cref="KeystoreException"/> for a wrong password (MAC
    /// mismatch), an unsupported KDF or cipher, malformed JSON or a missing field (named), and
    /// an "address" field that does not match the decrypted key.
    /// </summary>
    public static PrivateKey Decrypt(string json, string password)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(password);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new KeystoreException($"keystore is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new KeystoreException("keystore JSON must be an object");
            long version = Number(root, "version", "version");
            if (version != 3) throw new KeystoreException($"unsupported keystore version {version} (only 3 is supported)");
            // MyEtherWallet and early geth wrote "Crypto"; accept either spelling.
            JsonElement crypto = Property(root, "crypto", "crypto", caseInsensitive: true);

            string cipher = String(crypto, "cipher", "crypto.cipher");
            if (cipher != "aes-128-ctr") throw new KeystoreException($"unsupported cipher '{cipher}' (only aes-128-ctr is supported)");
            byte[] iv = HexField(Property(crypto, "cipherparams", "crypto.cipherparams"), "iv", "crypto.cipherparams.iv");
            if (iv.Length != 16) throw new KeystoreException($"crypto.cipherparams.iv must be 16 bytes, got {iv.Length}");
            byte[] ciphertext = HexField(crypto, "ciphertext", "crypto.ciphertext");
            if (ciphertext.Length != 32) throw new KeystoreException($"crypto.ciphertext must be 32 bytes, got {ciphertext.Length}");
            byte[] expectedMac = HexField(crypto, "mac", "crypto.mac");
            if (expectedMac.Length != 32) throw new KeystoreException($"crypto.mac must be 32 bytes, got {expectedMac.Length}");

            byte[] derived = DeriveKey(crypto, password);
            try
            {
                Span<byte> mac = stackalloc byte[32];
                Keccak256.HashConcat(derived.AsSpan(16, 16), ciphertext).CopyTo(mac);
                if (!CryptographicOperations.FixedTimeEquals(mac, expectedMac))
                    throw new KeystoreException("wrong password: the keystore MAC does not match");
                byte[] secret = AesCtr(derived.AsSpan(0, 16), iv, ciphertext);
                PrivateKey key;
                try
                {
                    key = new PrivateKey(secret);
                }
                catch (ArgumentException e)
                {
                    throw new KeystoreException($"keystore decrypts to an invalid private key: {e.Message}", e);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(secret);
                }
                if (root.TryGetProperty("address", out var addressElement) && addressElement.ValueKind == JsonValueKind.String
                    && Address.TryParse(addressElement.GetString(), out var stated) && stated != key.Address)
                    throw new KeystoreException($"keystore address field {stated} does not match the decrypted key's address {key.Address}");
                return key;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(derived);
            }
        }
    }

    private static byte[] DeriveKey(JsonElement crypto, string password)
    {
        string kdf = String(crypto, "kdf", "crypto.kdf");
        JsonElement kdfParams = Property(crypto, "kdfparams", "crypto.kdfparams");
        long dkLen = Number(kdfParams, "dklen", "crypto.kdfparams.dklen");
        if (dkLen != 32) throw new KeystoreException($"crypto.kdfparams.dklen must be 32, got {dkLen}");
        byte[] salt = HexField(kdfParams, "salt", "crypto.kdfparams.salt");
        byte[] passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            switch (kdf)
            {
                case "scrypt":
                {
                    long n = Number(kdfParams, "n", "crypto.kdfparams.n");
                    long r = Number(kdfParams, "r", "crypto.kdfparams.r");
                    long p = Number(kdfParams, "p", "crypto.kdfparams.p");
                    if (n < 2 || n > int.MaxValue || !long.IsPow2(n)) throw new KeystoreException($"crypto.kdfparams.n must be a power of two ≥ 2, got {n}");
                    if (r < 1 || p < 1 || r * p >= 1 << 30) throw new KeystoreException($"crypto.kdfparams r={r}, p={p} are out of range");
                    // scrypt (RFC 7914) requires N < 2^(128·r/8); OpenSSL, BouncyCastle and ethers enforce it.
                    if (r < 4 && n >= 1L << (int)(16 * r)) throw new KeystoreException($"scrypt parameters n={n}, r={r} break the rule n < 2^(16·r)");
                    if (128 * n * r > MaxScryptMemoryBytes) throw new KeystoreException($"scrypt parameters n={n}, r={r} need more than {MaxScryptMemoryBytes >> 20} MiB");
                    return SCrypt.Generate(passwordBytes, salt, (int)n, (int)r, (int)p, 32);
                }
                case "pbkdf2":
                {
                    string prf = String(kdfParams, "prf", "crypto.kdfparams.prf");
                    if (prf != "hmac-sha256") throw new KeystoreException($"unsupported pbkdf2 prf '{prf}' (only hmac-sha256 is supported)");
                    long c = Number(kdfParams, "c", "crypto.kdfparams.c");
                    if (c < 1 || c > MaxPbkdf2Iterations) throw new KeystoreException($"crypto.kdfparams.c must be in [1, {MaxPbkdf2Iterations}], got {c}");
                    return Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, (int)c, HashAlgorithmName.SHA256, 32);
                }
                default:
                    throw new KeystoreException($"unsupported kdf '{kdf}' (scrypt and pbkdf2 are supported)");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    private static byte[] AesCtr(ReadOnlySpan<byte> key16, byte[] iv, ReadOnlySpan<byte> input)
    {
        // CTR with the whole 16-byte IV as a big-endian counter, as geth and ethers do.
        var cipher = new SicBlockCipher(new AesEngine());
        cipher.Init(true, new ParametersWithIV(new KeyParameter(key16), iv));
        var output = new byte[input.Length];
        Span<byte> block = stackalloc byte[16];
        for (int offset = 0; offset < input.Length; offset += 16)
        {
            int length = Math.Min(16, input.Length - offset);
            block.Clear();
            input.Slice(offset, length).CopyTo(block);
            cipher.ProcessBlock(block, block);
            block[..length].CopyTo(output.AsSpan(offset));
        }
        CryptographicOperations.ZeroMemory(block);
        return output;
    }

    private static JsonElement Property(JsonElement parent, string name, string path, bool caseInsensitive = false)
    {
        if (parent.ValueKind == JsonValueKind.Object)
        {
            if (parent.TryGetProperty(name, out var value)) return value;
            if (caseInsensitive)
            {
                foreach (var property in parent.EnumerateObject())
                    if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) return property.Value;
            }
        }
        throw new KeystoreException($"keystore is missing field '{path}'");
    }

    private static string String(JsonElement parent, string name, string path)
    {
        JsonElement value = Property(parent, name, path);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new KeystoreException($"keystore field '{path}' must be a string");
    }

    private static long Number(JsonElement parent, string name, string path)
    {
        JsonElement value = Property(parent, name, path);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number)
            ? number
            : throw new KeystoreException($"keystore field '{path}' must be an integer");
    }

    private static byte[] HexField(JsonElement parent, string name, string path)
    {
        string text = String(parent, name, path);
        return Hex.TryDecode(text, out var bytes, out var error)
            ? bytes
            : throw new KeystoreException($"keystore field '{path}' is not hex: {error}");
    }
}
