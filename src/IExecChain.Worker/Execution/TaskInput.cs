using IExecChain.Core.Primitives;

namespace IExecChain.Worker.Execution;

/// <summary>What an app sees of its task: arguments, the dataset, and (WebAssembly) the clock and randomness.</summary>
public sealed record TaskInput
{
    /// <summary>argv[0]. The app's name as registered, not a path.</summary>
    public required string AppName { get; init; }

    /// <summary>argv[1..]; build them from the task's params with <see cref="TaskArguments.Split"/>.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>The dataset's bytes, readable at /iexec_in/dataset (WebAssembly) or $IEXEC_IN/dataset (native); null for none.</summary>
    public byte[]? Dataset { get; init; }

    /// <summary>
    /// A file holding the dataset, copied into the run's input directory as <see cref="Dataset"/> would be
    /// written: how a worker passes content from its store, so a dataset of hundreds of MiB is never held
    /// in memory. At most one of the two is set.
    /// </summary>
    public string? DatasetFile { get; init; }

    public bool HasDataset => Dataset is not null || DatasetFile is not null;

    /// <summary>Seeds what WASI random_get returns (docs/worker.md); every replica of a task must pass the same seed, e.g. keccak256 of the task id.</summary>
    public Hash256 RandomSeed { get; init; }

    /// <summary>What every WASI clock reads during the run, in nanoseconds since the Unix epoch; the same for every replica.</summary>
    public ulong ClockNanos { get; init; }

    public IEnumerable<string> Argv()
    {
        yield return AppName;
        foreach (var arg in Args) yield return arg;
    }
}
