using System.Text.Json;
using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts;
using IExecChain.State.Chain;
using IExecChain.State.Market;

namespace IExecChain.Rpc.Chain;

/// <summary>
/// What a light worker asks its node (each method has its section in docs/rpc.md): iex_getWorkerDuties, the tasks assigned
/// to a worker and which of its commits must be revealed now, and iex_getWorkerJob, the records to run a task
/// (protobuf bytes as in state, so the worker decodes exactly what a full node reads).
/// </summary>
public sealed class WorkerRpcMethods(BlockProcessor processor, IExecChain.Storage.IKeyValueStore store)
{
    /// <summary>At most this many committed tasks per iex_getWorkerDuties call.</summary>
    public const int MaxTasksPerCall = 4096;

    public void RegisterAll(RpcMethodRegistry registry)
    {
        registry.Register("iex_getWorkerDuties", (p, _) => ValueTask.FromResult<object?>(Duties(p)));
        registry.Register("iex_getWorkerJob", (p, _) => ValueTask.FromResult<object?>(Job(p)));
        registry.Register("iex_getWorkerApps", (p, _) => ValueTask.FromResult<object?>(Apps(p)));
    }

    private WorkerDutiesResult Duties(RpcParams p)
    {
        var text = p.GetString(0, "worker");
        if (!Address.TryParse(text, out var worker, out var error)) throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: worker: {error}");
        var tasks = TaskList(p.Get(1, "tasks"));
        // One state snapshot answers the whole call.
        var tree = processor.Tree;
        ulong height = processor.Head.Height;
        var (reveal, closed) = WorkerDuties.Sort(tree, worker, tasks);
        return new WorkerDutiesResult(
            new Quantity(height),
            WorkerDuties.Assigned(tree, worker).Select(t => t.ToString()).ToArray(),
            reveal.Select(t => t.ToString()).ToArray(),
            closed.Select(t => t.ToString()).ToArray());
    }

    private static List<Hash256> TaskList(JsonElement? value)
    {
        if (value is null) return [];
        if (value.Value.ValueKind != JsonValueKind.Array) throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: tasks must be an array of task ids");
        int count = value.Value.GetArrayLength();
        if (count > MaxTasksPerCall) throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {count} tasks exceed the limit of {MaxTasksPerCall} per call");
        var list = new List<Hash256>(count);
        foreach (var item in value.Value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !Hash256.TryParse(item.GetString()!, out var id))
                throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: tasks[{list.Count}] is not a 32-byte 0x-hex task id");
            list.Add(id);
        }
        return list;
    }

    /// <summary>The WebAssembly apps offered to the worker's pool (<see cref="WorkerDuties.OfferedApps"/>), as state records.</summary>
    private WorkerAppsResult Apps(RpcParams p)
    {
        var text = p.GetString(0, "worker");
        if (!Address.TryParse(text, out var worker, out var error)) throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: worker: {error}");
        var apps = WorkerDuties.OfferedApps(processor.Tree, MarketReader.OpenOrders(store), worker);
        return new WorkerAppsResult(apps.Select(a => RpcFormat.Bytes(a.ToByteArray())).ToArray());
    }

    private object? Job(RpcParams p)
    {
        var taskId = MarketRpcMethods.HashParam(p, 0, "taskId");
        if (WorkerDuties.Job(processor.Tree, taskId) is not { } job) return null;
        return new
        {
            taskId = taskId.ToString(),
            deal = RpcFormat.Bytes(job.Deal.ToByteArray()),
            app = RpcFormat.Bytes(job.App.ToByteArray()),
            dataset = job.Dataset is null ? null : RpcFormat.Bytes(job.Dataset.ToByteArray()),
            allowNative = job.PoolAllowsNative,
        };
    }
}
