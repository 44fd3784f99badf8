namespace IExecChain.Core.Specs;

/// <summary>A chain spec that cannot be used; the message names the field and what is wrong.</summary>
public sealed class ChainSpecException(string message) : Exception(message);
