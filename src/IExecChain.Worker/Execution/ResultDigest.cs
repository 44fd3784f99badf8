using System.Buffers.Binary;
using System.Text;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Results;

namespace IExecChain.Worker.Execution;

/// <summary>
/// The digest of a task's result, the value workers commit to in PoCo (docs/worker.md):
/// keccak256(0x10 ‖ int32-BE exit code ‖ uint64-BE |stdout| ‖ stdout ‖ uint32-BE file count ‖
/// for each file in ascending byte order of its UTF-8 name: uint32-BE |name| ‖ name ‖ uint64-BE |content| ‖ content).
/// stderr, timings and fuel are not part of it.
/// </summary>
public static class ResultDigest
{
    public const byte Tag = 0x10;

    public static Hash256 Compute(int exitCode, ReadOnlySpan<byte> stdout, IReadOnlyList<OutputFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var sorted = Sort(files);
        var hasher = new Keccak256.Incremental();
        Span<byte> header = stackalloc byte[1 + 4 + 8];
        header[0] = Tag;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], exitCode);
        BinaryPrimitives.WriteUInt64BigEndian(header[5..], (ulong)stdout.Length);
        hasher.Append(header);
        hasher.Append(stdout);

        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)sorted.Length);
        hasher.Append(number[..4]);
        foreach (var (name, file) in sorted)
        {
            BinaryPrimitives.WriteUInt32BigEndian(number, (uint)name.Length);
            hasher.Append(number[..4]);
            hasher.Append(name);
            BinaryPrimitives.WriteUInt64BigEndian(number, (ulong)file.Content.Length);
            hasher.Append(number);
            hasher.Append(file.Content);
        }
        return hasher.Finish();
    }

    /// <summary>Files in digest order; two files with one name are an error.</summary>
    public static IReadOnlyList<OutputFile> InDigestOrder(IReadOnlyList<OutputFile> files)
    {
        var sorted = Sort(files);
        var result = new OutputFile[sorted.Length];
        for (int i = 0; i < sorted.Length; i++) result[i] = sorted[i].File;
        return result;
    }

    private static (byte[] Name, OutputFile File)[] Sort(IReadOnlyList<OutputFile> files)
    {
        var sorted = new (byte[] Name, OutputFile File)[files.Count];
        for (int i = 0; i < sorted.Length; i++) sorted[i] = (Encoding.UTF8.GetBytes(files[i].Name), files[i]);
        Array.Sort(sorted, static (a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i].Name.AsSpan().SequenceEqual(sorted[i - 1].Name))
                throw new ArgumentException($"two output files are named '{sorted[i].File.Name}'", nameof(files));
        return sorted;
    }
}
