namespace IExecChain.Rpc;

/// <summary>
/// A result the handler has already serialized (a cached block, say). Written verbatim without
/// validation, so it must hold exactly one well-formed UTF-8 JSON value.
/// </summary>
public sealed record RawJson(byte[] Utf8);
