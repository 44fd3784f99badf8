namespace IExecChain.Rpc.Contracts;

/// <summary>iex_getWorkerDuties: the tasks assigned to a worker, and of the tasks it asked about, which to reveal and which are closed.</summary>
public sealed record WorkerDutiesResult(Quantity BlockNumber, IReadOnlyList<string> Assigned, IReadOnlyList<string> Reveal, IReadOnlyList<string> Closed);

/// <summary>iex_getWorkerJob: the state records (protobuf bytes, 0x-hex) a worker needs to run a task.</summary>
public sealed record WorkerJobResult(string TaskId, string Deal, string App, bool AllowNative, string? Dataset = null);

/// <summary>iex_getWorkerApps: the WebAssembly app records (protobuf bytes, 0x-hex) offered to the worker's pool.</summary>
public sealed record WorkerAppsResult(IReadOnlyList<string> Apps);
