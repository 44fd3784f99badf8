namespace IExecChain.Worker.Execution;

/// <summary>
/// The input and output directories of one run: <c>in/</c> (read-only to the app, holds
/// <c>dataset</c>) and <c>out/</c> (the app's results).
/// </summary>
internal sealed class RunDirectory
{
    public const string DatasetFileName = "dataset";

    // Every replica must see the same file times: the dataset's are pinned to the Unix epoch.
    private static readonly DateTime PinnedTime = DateTime.UnixEpoch;

    public RunDirectory(string root)
    {
        Root = root;
        InputDirectory = Path.Combine(root, "in");
        OutputDirectory = Path.Combine(root, "out");
        Directory.CreateDirectory(InputDirectory);
        Directory.CreateDirectory(OutputDirectory);
    }

    public string Root { get; }
    public string InputDirectory { get; }
    public string OutputDirectory { get; }
    public string DatasetPath => Path.Combine(InputDirectory, DatasetFileName);

    /// <summary>Puts the task's dataset, if it has one, at <see cref="DatasetPath"/>, with pinned times; returns whether it did.</summary>
    public bool WriteDataset(TaskInput input)
    {
        if (input.Dataset is not null && input.DatasetFile is not null)
            throw new ArgumentException("a task input has a dataset in memory or in a file, not both", nameof(input));
        if (input.Dataset is { } dataset)
        {
            using var file = new FileStream(DatasetPath, FileMode.Create, FileAccess.Write, FileShare.None, 1);
            file.Write(dataset);
        }
        else if (input.DatasetFile is { } source)
        {
            // A copy, never a link: the app must not be able to reach the worker's stored content.
            File.Copy(source, DatasetPath, overwrite: true);
        }
        else
        {
            return false;
        }
        File.SetLastWriteTimeUtc(DatasetPath, PinnedTime);
        File.SetLastAccessTimeUtc(DatasetPath, PinnedTime);
        return true;
    }

    /// <summary>Empties both directories for the next run; false when something could not be removed.</summary>
    public bool TryClean()
    {
        try
        {
            Empty(InputDirectory);
            Empty(OutputDirectory);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Delete()
    {
        try
        {
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory is not worth failing a task over; the pool's base directory is removed on dispose.
        }
    }

    private static void Empty(string directory)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            // Links are removed, never followed.
            if (entry is DirectoryInfo dir && dir.LinkTarget is null) dir.Delete(recursive: true);
            else entry.Delete();
        }
    }
}

/// <summary>
/// Run directories kept for reuse: creating and deleting two directories per run costs more than
/// instantiating a small module, so a finished run's directories are emptied and handed to the next.
/// </summary>
internal sealed class RunDirectoryPool : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Stack<RunDirectory> _free = new();
    private readonly int _maxFree;
    private long _next;

    public RunDirectoryPool(string? baseDirectory, int maxFree)
    {
        BaseDirectory = baseDirectory is null
            ? Directory.CreateTempSubdirectory("iexec-worker-").FullName
            : Directory.CreateDirectory(Path.Combine(baseDirectory, $"run-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        _maxFree = maxFree;
    }

    public string BaseDirectory { get; }

    public RunDirectory Rent()
    {
        lock (_lock)
        {
            if (_free.TryPop(out var free)) return free;
        }
        return new RunDirectory(Path.Combine(BaseDirectory, Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public void Return(RunDirectory directory)
    {
        if (directory.TryClean())
        {
            lock (_lock)
            {
                if (_free.Count < _maxFree)
                {
                    _free.Push(directory);
                    return;
                }
            }
        }
        directory.Delete();
    }

    public void Dispose()
    {
        lock (_lock) _free.Clear();
        try
        {
            Directory.Delete(BaseDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the directory is under the temp directory or the operator's work directory.
        }
    }
}
