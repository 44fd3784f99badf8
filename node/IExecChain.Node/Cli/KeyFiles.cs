using IExecChain.Core.Crypto;

namespace IExecChain.Node.Cli;

public static class KeyFiles
{
    public static PrivateKey Load(string path, string? passwordFile)
    {
        if (!File.Exists(path)) throw new CliException($"--key: keystore file '{path}' does not exist");
        var json = File.ReadAllText(path);
        try
        {
            return KeystoreV3.Decrypt(json, Passwords.Read(passwordFile));
        }
        catch (KeystoreException e)
        {
            throw new CliException($"--key: cannot open '{path}': {e.Message}");
        }
    }

    /// <summary>The address a keystore v3 file states in clear (its "address" field), or null when it states none; nothing is decrypted.</summary>
    public static Core.Primitives.Address? StatedAddress(string path)
    {
        if (!File.Exists(path)) throw new CliException($"--keystore: keystore file '{path}' does not exist");
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && json.RootElement.TryGetProperty("address", out var field) && field.ValueKind == System.Text.Json.JsonValueKind.String
                && Core.Primitives.Address.TryParse(field.GetString(), out var address) ? address : null;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CliException($"--keystore: '{path}' is not JSON: {e.Message}");
        }
    }

    public static void Write(string path, PrivateKey key, string password, int? scryptN = null)
    {
        if (File.Exists(path)) throw new CliException($"--out: '{path}' already exists; refusing to overwrite a key");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        File.WriteAllText(path, KeystoreV3.Encrypt(key, password, KeystoreKdf.Scrypt, scryptN));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
