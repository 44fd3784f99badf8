using IExecChain.Core.Primitives;
using IExecChain.Core.Results;
using IExecChain.Rpc.Contracts;
using IExecChain.Rpc.Contracts.Serving;

namespace IExecChain.Rpc.Chain;

/// <summary>iex_getResult: a task's result as this worker stored it (stdout and output files), null when it has none.</summary>
public sealed class ResultRpcMethods(IResultSource store)
{
    public void RegisterAll(RpcMethodRegistry registry) =>
        registry.Register("iex_getResult", (p, _) => ValueTask.FromResult<object?>(GetResult(p)));

    private TaskOutputResult? GetResult(RpcParams p)
    {
        string text = p.GetString(0, "taskId");
        if (!Hash256.TryParse(text, out var taskId))
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: taskId '{text}' is not a 32-byte 0x-hex hash");
        StoredResult? result;
        try
        {
            result = store.TryGet(taskId);
        }
        catch (InvalidDataException e)
        {
            throw new RpcException(RpcErrorCodes.InternalError, e.Message);
        }
        if (result is null) return null;
        return new TaskOutputResult(
            taskId.ToString(),
            result.Digest.ToString(),
            result.ExitCode,
            RpcFormat.Bytes(result.Stdout),
            result.Files.Select(f => new OutputFileResult(f.Name, RpcFormat.Bytes(f.Content))).ToArray());
    }
}
