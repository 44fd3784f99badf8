using IExecChain.Core.Primitives;

namespace IExecChain.Core.Results;

/// <summary>A file the app left in its output directory; the name is relative, with '/' separators.</summary>
public sealed record OutputFile(string Name, byte[] Content);

/// <summary>A task's result as a worker computed and stored it.</summary>
public sealed record StoredResult(Hash256 TaskId, Hash256 Digest, int ExitCode, byte[] Stdout, IReadOnlyList<OutputFile> Files);
