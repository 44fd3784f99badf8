namespace IExecChain.Node.Cli;

/// <summary>Where a keystore password comes from: a file, the environment, or a prompt on a terminal.</summary>
public static class Passwords
{
    public const string EnvironmentVariable = "IEXECCHAIN_PASSWORD";

    public static string Read(string? passwordFile, bool confirm = false)
    {
        if (passwordFile is not null)
        {
            if (!File.Exists(passwordFile)) throw new CliException($"--password-file: '{passwordFile}' does not exist");
            using var reader = new StreamReader(passwordFile);
            return reader.ReadLine() ?? "";
        }
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (fromEnvironment is not null) return fromEnvironment;
        if (Console.IsInputRedirected)
            throw new CliException($"a password is needed: give --password-file FILE or set {EnvironmentVariable} (no terminal to prompt on)");
        var password = Prompt("Password: ");
        if (confirm && Prompt("Repeat password: ") != password) throw new CliException("the passwords do not match");
        return password;
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var chars = new List<char>();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (chars.Count > 0) chars.RemoveAt(chars.Count - 1); continue; }
            chars.Add(key.KeyChar);
        }
        Console.Error.WriteLine();
        return new string([.. chars]);
    }
}
