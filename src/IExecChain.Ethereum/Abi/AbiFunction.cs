using IExecChain.Core.Crypto;

namespace IExecChain.Ethereum.Abi;

/// <summary>A contract function (or custom error): its signature, 4-byte selector, and call encoding.</summary>
public sealed class AbiFunction
{
    public AbiFunction(string name, IReadOnlyList<string> inputs, IReadOnlyList<string>? outputs = null)
    {
        Name = name;
        Inputs = inputs.Select(AbiType.Parse).ToArray();
        Outputs = (outputs ?? []).Select(AbiType.Parse).ToArray();
        Signature = $"{name}({string.Join(",", Inputs.Select(t => t.Name))})";
        Selector = SelectorOf(Signature);
    }

    public string Name { get; }
    public IReadOnlyList<AbiType> Inputs { get; }
    public IReadOnlyList<AbiType> Outputs { get; }

    /// <summary>Canonical signature, e.g. <c>transfer(address,uint256)</c>.</summary>
    public string Signature { get; }

    public byte[] Selector { get; }

    /// <summary>First four bytes of keccak256 of the canonical signature.</summary>
    public static byte[] SelectorOf(string signature) =>
        Keccak256.HashToArray(System.Text.Encoding.ASCII.GetBytes(signature))[..4];

    public byte[] EncodeCall(params object[] arguments)
    {
        var body = AbiCodec.Encode(Inputs, arguments);
        var call = new byte[4 + body.Length];
        Selector.CopyTo(call, 0);
        body.CopyTo(call, 4);
        return call;
    }

    public object[] DecodeOutput(ReadOnlySpan<byte> data) => AbiCodec.Decode(Outputs, data);

    /// <summary>Decodes revert data whose selector is this error's; false otherwise.</summary>
    public bool TryDecodeError(ReadOnlySpan<byte> revertData, out object[] arguments)
    {
        arguments = [];
        if (revertData.Length < 4 || !revertData[..4].SequenceEqual(Selector)) return false;
        arguments = AbiCodec.Decode(Inputs, revertData[4..]);
        return true;
    }
}
