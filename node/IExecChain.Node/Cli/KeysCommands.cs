using System.CommandLine;
using IExecChain.Core.Crypto;

namespace IExecChain.Node.Cli;

public static class KeysCommands
{
    public static Command Build()
    {
        var keys = new Command("keys", "Create and inspect Ethereum-compatible keys (keystore v3 files)");

        var outOption = new Option<string>("--out") { Description = "Keystore file to write", Required = true };
        var passwordFile = new Option<string?>("--password-file") { Description = "File whose first line is the password (otherwise IEXECCHAIN_PASSWORD or a prompt)" };
        var create = new Command("new", "Generate a key and write it as an encrypted keystore v3 file") { outOption, passwordFile };
        create.SetAction(r => Cli.Run(() =>
        {
            var key = PrivateKey.Generate();
            KeyFiles.Write(r.GetValue(outOption)!, key, Passwords.Read(r.GetValue(passwordFile), confirm: true));
            Console.WriteLine(key.Address.ToChecksumString());
        }));

        var privateKey = new Option<string?>("--private-key") { Description = "Raw private key as hex" };
        var keystore = new Option<string?>("--keystore") { Description = "Keystore v3 file" };
        var inspectPassword = new Option<string?>("--password-file") { Description = "Password file for --keystore" };
        var showPublicKey = new Option<bool>("--public-key") { Description = "Also print the 64-byte public key (what `gov propose admit-validator` needs)" };
        var inspect = new Command("inspect", "Print the address of a private key or keystore (a keystore's without its password, unless --password-file or --public-key)") { privateKey, keystore, inspectPassword, showPublicKey };
        inspect.SetAction(r => Cli.Run(() =>
        {
            var hex = r.GetValue(privateKey);
            var file = r.GetValue(keystore);
            if ((hex is null) == (file is null)) throw new CliException("give exactly one of --private-key HEX or --keystore FILE");
            PrivateKey key;
            if (hex is not null)
            {
                try { key = PrivateKey.FromHex(hex); }
                catch (Exception e) when (e is ArgumentException or FormatException) { throw new CliException($"--private-key: {e.Message}"); }
            }
            else if (r.GetValue(inspectPassword) is null && Environment.GetEnvironmentVariable(Passwords.EnvironmentVariable) is null && !r.GetValue(showPublicKey)
                && KeyFiles.StatedAddress(file!) is { } stated)
            {
                // The address needs no password: keystore v3 states it in clear. Decrypting checks it.
                Console.WriteLine(stated.ToChecksumString());
                Console.Error.WriteLine("(the keystore's address field; give --password-file to check the file decrypts to it)");
                return;
            }
            else key = KeyFiles.Load(file!, r.GetValue(inspectPassword));
            Console.WriteLine(key.Address.ToChecksumString());
            if (r.GetValue(showPublicKey)) Console.WriteLine(Core.Primitives.Hex.Encode(key.PublicKey));
        }));

        var importKey = new Option<string>("--private-key") { Description = "Raw private key as hex (e.g. exported from a wallet)", Required = true };
        var importOut = new Option<string>("--out") { Description = "Keystore file to write", Required = true };
        var importPassword = new Option<string?>("--password-file") { Description = "File whose first line is the new keystore's password" };
        var import = new Command("import", "Encrypt an existing private key into a keystore v3 file") { importKey, importOut, importPassword };
        import.SetAction(r => Cli.Run(() =>
        {
            PrivateKey key;
            try { key = PrivateKey.FromHex(r.GetValue(importKey)!); }
            catch (Exception e) when (e is ArgumentException or FormatException) { throw new CliException($"--private-key: {e.Message}"); }
            KeyFiles.Write(r.GetValue(importOut)!, key, Passwords.Read(r.GetValue(importPassword), confirm: true));
            Console.WriteLine(key.Address.ToChecksumString());
        }));

        var exportKeystore = new Option<string>("--keystore") { Description = "Keystore v3 file", Required = true };
        var exportPassword = new Option<string?>("--password-file") { Description = "Password file for --keystore" };
        var export = new Command("export", "Print the raw private key of a keystore (for wallets that import hex keys)") { exportKeystore, exportPassword };
        export.SetAction(r => Cli.Run(() =>
        {
            var key = KeyFiles.Load(r.GetValue(exportKeystore)!, r.GetValue(exportPassword));
            Console.Error.WriteLine("warning: anyone who sees this key controls the account");
            Console.WriteLine(key.ToHex());
        }));

        keys.Subcommands.Add(create);
        keys.Subcommands.Add(inspect);
        keys.Subcommands.Add(import);
        keys.Subcommands.Add(export);
        return keys;
    }
}
