namespace IExecChain.Node.Cli;

/// <summary>A user mistake the CLI reports as one line and exit code 2, without a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
