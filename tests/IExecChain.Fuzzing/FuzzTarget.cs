namespace IExecChain.Fuzzing;

/// <summary>
/// One decoder that takes bytes or text from outside the node, wrapped so that every input either
/// decodes or is refused the way the decoder documents it. Anything else that escapes (a null
/// dereference, an index out of range, an overflow, a stack overflow, a hang) is a finding.
/// </summary>
/// <param name="Name">The name used by scripts/fuzz.sh and the corpus folder (tests/IExecChain.Fuzzing/corpus/NAME).</param>
/// <param name="Reaches">Where the input comes from in a running node, for the report.</param>
public sealed record FuzzTarget(string Name, string Reaches, Action<byte[]> Run);
