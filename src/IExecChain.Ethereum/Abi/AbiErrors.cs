using IExecChain.Core.Primitives;

namespace IExecChain.Ethereum.Abi;

/// <summary>Readable revert reasons from a contract's custom errors.</summary>
public static class AbiErrors
{
    /// <summary>"InvalidProof(3)" for one of <paramref name="errors"/>, the message for Error(string), hex otherwise.</summary>
    public static string Describe(IReadOnlyList<AbiFunction> errors, byte[]? data)
    {
        if (data is null || data.Length == 0) return "reverted without data";
        foreach (var error in errors)
        {
            try
            {
                if (error.TryDecodeError(data, out var args))
                    return $"{error.Name}({string.Join(", ", args.Select(a => a is byte[] b ? Hex.Encode(b) : a.ToString()))})";
            }
            catch (AbiException)
            {
                break;
            }
        }
        return "reverted with " + Hex.Encode(data);
    }
}
