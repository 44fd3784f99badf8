using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.Worker.Wasm;

/// <summary>
/// An app's WebAssembly binary with its code hash (keccak256 of the bytes), computed once: the
/// runtime caches compiled modules by that hash, so keep one instance per app rather than
/// wrapping the bytes anew for every task.
/// </summary>
public sealed class WasmCode
{
    public WasmCode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Bytes = bytes;
        CodeHash = Keccak256.Hash(bytes);
    }

    public ReadOnlyMemory<byte> Bytes { get; }
    public Hash256 CodeHash { get; }

    /// <summary>Assembles WebAssembly text (WAT); the chain stores binaries, this is for samples and tests.</summary>
    public static WasmCode FromText(string wat)
    {
        ArgumentNullException.ThrowIfNull(wat);
        return new WasmCode(Wasmtime.Module.ConvertText(wat));
    }
}
