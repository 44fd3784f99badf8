using System.Text;
using IExecChain.Core.Results;

namespace IExecChain.Worker.Execution;

/// <summary>Reads what an app left in its output directory, within the run's limits.</summary>
internal static class OutputCollector
{
    /// <summary>The files, in digest order, or the reason the output is refused.</summary>
    public static (List<OutputFile>? Files, string? Error) Collect(string outputDirectory, ExecutionLimits limits)
    {
        var files = new List<OutputFile>();
        long total = 0;
        var pending = new Stack<string>();
        pending.Push(outputDirectory);
        while (pending.Count > 0)
        {
            string directory = pending.Pop();
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                string name = Path.GetRelativePath(outputDirectory, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
                // A link could point anywhere on the worker's disk: reading through it would leak host files into the result.
                if (entry.LinkTarget is not null) return (null, $"output '{name}' is a symbolic link; only regular files and directories are accepted");
                if (entry is DirectoryInfo)
                {
                    pending.Push(entry.FullName);
                    continue;
                }
                if (entry is not FileInfo file) return (null, $"output '{name}' is not a regular file");
                if (files.Count >= limits.MaxOutputFiles) return (null, $"more than {limits.MaxOutputFiles} output files");
                total += file.Length;
                if (total > limits.MaxOutputBytes) return (null, $"output files exceed {limits.MaxOutputBytes} bytes");
                if (!IsWellFormed(name)) return (null, $"output file name '{name}' is not valid UTF-8 text");
                // FIFOs, sockets and devices report size 0; never opening an empty entry means a FIFO
                // a native app left behind cannot block the worker on open().
                files.Add(new OutputFile(name, file.Length == 0 ? [] : File.ReadAllBytes(file.FullName)));
            }
        }
        return ([.. ResultDigest.InDigestOrder(files)], null);
    }

    // A name the guest wrote as arbitrary bytes may not survive the round trip to .NET strings.
    private static bool IsWellFormed(string name) => !name.Contains('\uFFFD', StringComparison.Ordinal) && Encoding.UTF8.GetByteCount(name) > 0;
}
