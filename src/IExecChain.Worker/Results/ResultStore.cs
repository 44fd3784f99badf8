using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Worker.Execution;

namespace IExecChain.Worker.Results;

/// <summary>A task's result as this worker computed and stored it.</summary>
public sealed record StoredResult(Hash256 TaskId, Hash256 Digest, int ExitCode, byte[] Stdout, IReadOnlyList<OutputFile> Files);

/// <summary>
/// Results of the tasks this worker ran, one directory per task under the store's directory:
/// <c>&lt;taskId-hex&gt;/result.json</c> (digest, exit code, file names), <c>stdout</c> and
/// <c>files/&lt;name&gt;</c>. A result is written into a temporary directory and renamed into
/// place; reading one recomputes its digest, so a damaged result is reported, never served.
/// </summary>
public sealed class ResultStore
{
    private const string MetaFile = "result.json";
    private const string StdoutFile = "stdout";
    private const string FilesFolder = "files";
    private const string TempPrefix = ".tmp-";

    public ResultStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
    }

    public string Directory { get; }

    /// <summary>Stores a run that has a digest (Success or NonZeroExit); replaces an earlier result of the task.</summary>
    public StoredResult Save(Hash256 taskId, ExecutionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Digest is not { } digest || result.ExitCode is not { } exitCode)
            throw new ArgumentException($"a {result.Status} run has no result to store", nameof(result));
        var stored = new StoredResult(taskId, digest, exitCode, result.Stdout, result.OutputFiles);
        if (ResultDigest.Compute(exitCode, result.Stdout, result.OutputFiles) != digest)
            throw new ArgumentException("the result's digest does not match its stdout and files", nameof(result));

        string temp = Path.Combine(Directory, TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            System.IO.Directory.CreateDirectory(temp);
            File.WriteAllBytes(Path.Combine(temp, StdoutFile), result.Stdout);
            var names = new List<string>(result.OutputFiles.Count);
            foreach (var file in result.OutputFiles)
            {
                string path = FilePath(temp, file.Name);
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, file.Content);
                names.Add(file.Name);
            }
            var meta = new ResultMeta(digest.ToString(), exitCode, names);
            File.WriteAllBytes(Path.Combine(temp, MetaFile), JsonSerializer.SerializeToUtf8Bytes(meta, ResultMetaContext.Default.ResultMeta));

            string final = TaskPath(taskId);
            if (System.IO.Directory.Exists(final))
            {
                // Readers see the old result or none for a moment, never a mix of two.
                string old = Path.Combine(Directory, TempPrefix + Guid.NewGuid().ToString("N"));
                System.IO.Directory.Move(final, old);
                System.IO.Directory.Delete(old, recursive: true);
            }
            System.IO.Directory.Move(temp, final);
            return stored;
        }
        finally
        {
            if (System.IO.Directory.Exists(temp)) System.IO.Directory.Delete(temp, recursive: true);
        }
    }

    public bool Has(Hash256 taskId) => File.Exists(Path.Combine(TaskPath(taskId), MetaFile));

    /// <summary>The stored result, or null when there is none; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    public StoredResult? TryGet(Hash256 taskId)
    {
        string folder = TaskPath(taskId);
        byte[] metaBytes;
        try
        {
            metaBytes = File.ReadAllBytes(Path.Combine(folder, MetaFile));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            var meta = JsonSerializer.Deserialize(metaBytes, ResultMetaContext.Default.ResultMeta)
                ?? throw new InvalidDataException("empty result metadata");
            byte[] stdout = File.ReadAllBytes(Path.Combine(folder, StdoutFile));
            var files = new List<OutputFile>(meta.Files.Count);
            foreach (string name in meta.Files) files.Add(new OutputFile(name, File.ReadAllBytes(FilePath(folder, name))));
            var digest = Hash256.Parse(meta.Digest);
            if (ResultDigest.Compute(meta.ExitCode, stdout, files) != digest)
                throw new InvalidDataException($"result of task {taskId}: stored files do not match the stored digest {digest}");
            return new StoredResult(taskId, digest, meta.ExitCode, stdout, files);
        }
        catch (Exception e) when (e is JsonException or FormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException)
        {
            throw new InvalidDataException($"result of task {taskId} in {folder} is damaged: {e.Message}", e);
        }
    }

    /// <summary>Task ids with a stored result, in ascending order.</summary>
    public IReadOnlyList<Hash256> List()
    {
        var ids = new List<Hash256>();
        foreach (string path in System.IO.Directory.EnumerateDirectories(Directory))
        {
            string name = Path.GetFileName(path);
            if (!name.StartsWith(TempPrefix, StringComparison.Ordinal) && Hash256.TryParse(name, out var id) && Has(id)) ids.Add(id);
        }
        ids.Sort();
        return ids;
    }

    private string TaskPath(Hash256 taskId) => Path.Combine(Directory, taskId.ToString()[2..]);

    /// <summary>Where an output file lives; refuses a name that would leave the result's folder.</summary>
    private static string FilePath(string folder, string name)
    {
        var segments = name.Split('/');
        foreach (string segment in segments)
            if (segment.Length == 0 || segment is "." or ".." || segment.Contains('\\', StringComparison.Ordinal) || segment.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"output file name '{name}' is not a plain relative path");
        return Path.Combine([folder, FilesFolder, .. segments]);
    }
}

internal sealed record ResultMeta(string Digest, int ExitCode, List<string> Files);

[System.Text.Json.Serialization.JsonSerializable(typeof(ResultMeta))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class ResultMetaContext : System.Text.Json.Serialization.JsonSerializerContext;
