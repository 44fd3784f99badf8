using System.Buffers.Binary;
using System.Text.Json;
using IExecChain.Core.Primitives;
using IExecChain.Core.Results;
using IExecChain.Rpc.Contracts.Serving;
using IExecChain.Worker.Execution;

namespace IExecChain.Worker.Results;

/// <summary>
/// Results of the tasks this worker ran: one file per task under the store's directory,
/// <c>&lt;taskId-hex&gt;.result</c> = "IXR1", a little-endian u32 header length, the JSON header
/// (digest, exit code, stdout length, output file names and lengths), then stdout and each file's
/// bytes in header order. A result is written to a temporary file and renamed into place (a reader
/// sees the old result or the new one, never a mix); reading recomputes the digest, so a damaged
/// result is reported, never served. Results stored by earlier versions (a directory per task:
/// <c>result.json</c>, <c>stdout</c>, <c>files/&lt;name&gt;</c>) are still read.
/// </summary>
public sealed class ResultStore : IResultSource
{
    private const string Extension = ".result";
    private const string TempPrefix = ".tmp-";
    private static ReadOnlySpan<byte> Magic => "IXR1"u8;

    // Earlier layout, read only.
    private const string LegacyMetaFile = "result.json";
    private const string LegacyStdoutFile = "stdout";
    private const string LegacyFilesFolder = "files";

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
        var entries = new List<ResultFileEntry>(result.OutputFiles.Count);
        foreach (var file in result.OutputFiles)
        {
            CheckName(file.Name);
            entries.Add(new ResultFileEntry(file.Name, file.Content.Length));
        }
        byte[] header = JsonSerializer.SerializeToUtf8Bytes(new ResultHeader(digest.ToString(), exitCode, result.Stdout.Length, entries), ResultMetaContext.Default.ResultHeader);

        string temp = Path.Combine(Directory, TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                Span<byte> prefix = stackalloc byte[8];
                Magic.CopyTo(prefix);
                BinaryPrimitives.WriteUInt32LittleEndian(prefix[4..], (uint)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                stream.Write(result.Stdout);
                foreach (var file in result.OutputFiles) stream.Write(file.Content);
            }
            File.Move(temp, ResultPath(taskId), overwrite: true);
            string legacy = LegacyPath(taskId);
            if (System.IO.Directory.Exists(legacy)) System.IO.Directory.Delete(legacy, recursive: true);
            return stored;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public bool Has(Hash256 taskId) => File.Exists(ResultPath(taskId)) || File.Exists(Path.Combine(LegacyPath(taskId), LegacyMetaFile));

    /// <summary>The stored result, or null when there is none; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    public StoredResult? TryGet(Hash256 taskId)
    {
        string path = ResultPath(taskId);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return TryGetLegacy(taskId);
        }
        try
        {
            if (bytes.Length < 8 || !bytes.AsSpan(0, 4).SequenceEqual(Magic)) throw new InvalidDataException("not a result file");
            int headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
            if (headerLength > bytes.Length - 8) throw new InvalidDataException("truncated header");
            var header = JsonSerializer.Deserialize(bytes.AsSpan(8, headerLength), ResultMetaContext.Default.ResultHeader)
                ?? throw new InvalidDataException("empty header");
            int offset = 8 + headerLength;
            byte[] stdout = Take(bytes, ref offset, header.StdoutLength);
            var files = new List<OutputFile>(header.Files.Count);
            foreach (var entry in header.Files) files.Add(new OutputFile(entry.Name, Take(bytes, ref offset, entry.Length)));
            if (offset != bytes.Length) throw new InvalidDataException($"{bytes.Length - offset} bytes after the last file");
            return Checked(taskId, Hash256.Parse(header.Digest), header.ExitCode, stdout, files);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or OverflowException or InvalidDataException)
        {
            throw new InvalidDataException($"result of task {taskId} in {path} is damaged: {e.Message}", e);
        }
    }

    private static byte[] Take(byte[] bytes, ref int offset, int length)
    {
        if (length < 0 || length > bytes.Length - offset) throw new InvalidDataException("truncated contents");
        byte[] part = bytes.AsSpan(offset, length).ToArray();
        offset += length;
        return part;
    }

    private static StoredResult Checked(Hash256 taskId, Hash256 digest, int exitCode, byte[] stdout, List<OutputFile> files)
    {
        if (ResultDigest.Compute(exitCode, stdout, files) != digest)
            throw new InvalidDataException($"result of task {taskId}: stored files do not match the stored digest {digest}");
        return new StoredResult(taskId, digest, exitCode, stdout, files);
    }

    /// <summary>A result stored by an earlier version (one directory per task).</summary>
    private StoredResult? TryGetLegacy(Hash256 taskId)
    {
        string folder = LegacyPath(taskId);
        byte[] metaBytes;
        try
        {
            metaBytes = File.ReadAllBytes(Path.Combine(folder, LegacyMetaFile));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            var meta = JsonSerializer.Deserialize(metaBytes, ResultMetaContext.Default.ResultMeta)
                ?? throw new InvalidDataException("empty result metadata");
            byte[] stdout = File.ReadAllBytes(Path.Combine(folder, LegacyStdoutFile));
            var files = new List<OutputFile>(meta.Files.Count);
            foreach (string name in meta.Files)
            {
                CheckName(name);
                files.Add(new OutputFile(name, File.ReadAllBytes(Path.Combine([folder, LegacyFilesFolder, .. name.Split('/')]))));
            }
            return Checked(taskId, Hash256.Parse(meta.Digest), meta.ExitCode, stdout, files);
        }
        catch (Exception e) when (e is JsonException or FormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException)
        {
            throw new InvalidDataException($"result of task {taskId} in {folder} is damaged: {e.Message}", e);
        }
    }

    /// <summary>Task ids with a stored result, in ascending order.</summary>
    public IReadOnlyList<Hash256> List()
    {
        var ids = new SortedSet<Hash256>();
        foreach (string path in System.IO.Directory.EnumerateFileSystemEntries(Directory))
        {
            string name = Path.GetFileName(path);
            if (name.StartsWith(TempPrefix, StringComparison.Ordinal)) continue;
            if (name.EndsWith(Extension, StringComparison.Ordinal)) name = name[..^Extension.Length];
            if (Hash256.TryParse(name, out var id) && Has(id)) ids.Add(id);
        }
        return [.. ids];
    }

    private string ResultPath(Hash256 taskId) => Path.Combine(Directory, taskId.ToString()[2..] + Extension);

    private string LegacyPath(Hash256 taskId) => Path.Combine(Directory, taskId.ToString()[2..]);

    /// <summary>Output file names are plain relative paths: `result get` writes them under a directory.</summary>
    private static void CheckName(string name)
    {
        foreach (string segment in name.Split('/'))
            if (segment.Length == 0 || segment is "." or ".." || segment.Contains('\\', StringComparison.Ordinal) || segment.Contains('\0', StringComparison.Ordinal))
                throw new ArgumentException($"output file name '{name}' is not a plain relative path");
    }
}

internal sealed record ResultFileEntry(string Name, int Length);

internal sealed record ResultHeader(string Digest, int ExitCode, int StdoutLength, List<ResultFileEntry> Files);

internal sealed record ResultMeta(string Digest, int ExitCode, List<string> Files);

[System.Text.Json.Serialization.JsonSerializable(typeof(ResultMeta))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ResultHeader))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
internal sealed partial class ResultMetaContext : System.Text.Json.Serialization.JsonSerializerContext;
