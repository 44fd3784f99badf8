using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Results;
using IExecChain.Worker.Execution;
using IExecChain.Worker.Results;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

[TestFixture]
public sealed class ResultStoreTests
{
    private static readonly Hash256 TaskA = Keccak256.Hash("task a"u8);
    private static readonly Hash256 TaskB = Keccak256.Hash("task b"u8);

    private static ExecutionResult Result(int exitCode, string stdout, params OutputFile[] files)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(stdout);
        var sorted = ResultDigest.InDigestOrder(files);
        return new ExecutionResult
        {
            Status = exitCode == 0 ? ExecutionStatus.Success : ExecutionStatus.NonZeroExit,
            ExitCode = exitCode,
            Stdout = bytes,
            OutputFiles = sorted,
            Digest = ResultDigest.Compute(exitCode, bytes, sorted),
        };
    }

    [Test]
    public void Saved_result_reads_back_with_files_in_subdirectories()
    {
        using var dir = new TempDirectory();
        var store = new ResultStore(dir.Path);
        var result = Result(0, "42\n", new OutputFile("out/b.txt", [1, 2]), new OutputFile("a.txt", [3]));

        store.Save(TaskA, result);
        var read = new ResultStore(dir.Path).TryGet(TaskA);

        Assert.That(read, Is.Not.Null);
        Assert.That(read!.Digest, Is.EqualTo(result.Digest));
        Assert.That(read.ExitCode, Is.Zero);
        Assert.That(read.Stdout, Is.EqualTo("42\n"u8.ToArray()));
        Assert.That(read.Files.Select(f => f.Name), Is.EqualTo(new[] { "a.txt", "out/b.txt" }));
        Assert.That(read.Files[1].Content, Is.EqualTo(new byte[] { 1, 2 }));
    }

    [Test]
    public void List_has_each_stored_task_once_and_a_new_result_replaces_the_old()
    {
        using var dir = new TempDirectory();
        var store = new ResultStore(dir.Path);

        store.Save(TaskB, Result(0, "first"));
        store.Save(TaskA, Result(1, "a"));
        store.Save(TaskB, Result(0, "second"));

        Assert.That(store.List(), Is.EqualTo(new[] { TaskA, TaskB }.Order().ToArray()));
        Assert.That(store.TryGet(TaskB)!.Stdout, Is.EqualTo("second"u8.ToArray()));
        Assert.That(store.TryGet(Keccak256.Hash("none"u8)), Is.Null);
    }

    [Test]
    public void Failed_run_or_a_result_whose_digest_does_not_match_is_refused()
    {
        using var dir = new TempDirectory();
        var store = new ResultStore(dir.Path);
        var trapped = new ExecutionResult { Status = ExecutionStatus.Trapped, Error = "trap" };
        var forged = Result(0, "x");
        forged = new ExecutionResult { Status = forged.Status, ExitCode = 0, Stdout = "y"u8.ToArray(), Digest = forged.Digest };

        Assert.Throws<ArgumentException>(() => store.Save(TaskA, trapped));
        Assert.Throws<ArgumentException>(() => store.Save(TaskA, forged));
        Assert.That(store.List(), Is.Empty);
    }

    [Test]
    public void Result_damaged_on_disk_is_reported_never_served()
    {
        using var dir = new TempDirectory();
        var store = new ResultStore(dir.Path);
        store.Save(TaskA, Result(0, "out", new OutputFile("r.txt", [9, 9])));
        // The file's content ends the result file: change its last byte.
        string file = Directory.GetFiles(dir.Path).Single();
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^1] = 8;
        File.WriteAllBytes(file, bytes);

        var error = Assert.Throws<InvalidDataException>(() => store.TryGet(TaskA));

        Assert.That(error!.Message, Does.Contain("do not match the stored digest"));

        File.WriteAllBytes(file, bytes[..^3]);
        Assert.That(Assert.Throws<InvalidDataException>(() => store.TryGet(TaskA))!.Message, Does.Contain("truncated"));
    }

    [Test]
    public void A_result_in_the_earlier_directory_layout_is_read_listed_and_replaced()
    {
        using var dir = new TempDirectory();
        var result = Result(0, "old\n", new OutputFile("out/a.txt", [7]));
        string folder = Path.Combine(dir.Path, TaskA.ToString()[2..]);
        Directory.CreateDirectory(Path.Combine(folder, "files", "out"));
        File.WriteAllText(Path.Combine(folder, "result.json"), $$"""{"digest":"{{result.Digest}}","exitCode":0,"files":["out/a.txt"]}""");
        File.WriteAllBytes(Path.Combine(folder, "stdout"), result.Stdout);
        File.WriteAllBytes(Path.Combine(folder, "files", "out", "a.txt"), [7]);
        var store = new ResultStore(dir.Path);

        Assert.That(store.List(), Is.EqualTo(new[] { TaskA }));
        Assert.That(store.TryGet(TaskA)!.Digest, Is.EqualTo(result.Digest));
        Assert.That(store.TryGet(TaskA)!.Files.Single().Content, Is.EqualTo(new byte[] { 7 }));

        store.Save(TaskA, Result(0, "new"));
        Assert.That(Directory.Exists(folder), Is.False, "the new result replaces the old directory");
        Assert.That(store.TryGet(TaskA)!.Stdout, Is.EqualTo("new"u8.ToArray()));
        Assert.That(store.List(), Is.EqualTo(new[] { TaskA }));
    }
}
