using IExecChain.Core.Crypto;
using IExecChain.Core.Results;
using IExecChain.Worker.Execution;
using NUnit.Framework;

namespace IExecChain.Worker.Tests;

public sealed class ResultDigestTests
{
    [Test]
    public void Digest_is_keccak_of_the_documented_layout()
    {
        // 0x10 ‖ int32 exit ‖ uint64 |stdout| ‖ stdout ‖ uint32 count ‖ (uint32 |name| ‖ name ‖ uint64 |data| ‖ data)*
        byte[] expected =
        [
            0x10, 0, 0, 0, 2,
            0, 0, 0, 0, 0, 0, 0, 3, (byte)'o', (byte)'u', (byte)'t',
            0, 0, 0, 2,
            0, 0, 0, 1, (byte)'A', 0, 0, 0, 0, 0, 0, 0, 1, 7,
            0, 0, 0, 1, (byte)'a', 0, 0, 0, 0, 0, 0, 0, 0,
        ];

        var digest = ResultDigest.Compute(2, "out"u8, [new OutputFile("a", []), new OutputFile("A", [7])]);

        Assert.That(digest, Is.EqualTo(Keccak256.Hash(expected)));
    }

    [Test]
    public void File_order_does_not_matter_but_every_name_byte_and_exit_code_does()
    {
        OutputFile[] files = [new("x.txt", [1]), new("y.txt", [2])];
        var digest = ResultDigest.Compute(0, [], files);

        Assert.That(ResultDigest.Compute(0, [], [files[1], files[0]]), Is.EqualTo(digest));
        Assert.That(ResultDigest.Compute(0, [], [files[0], new("y.txt", [3])]), Is.Not.EqualTo(digest));
        Assert.That(ResultDigest.Compute(0, [], [files[0], new("z.txt", [2])]), Is.Not.EqualTo(digest));
        Assert.That(ResultDigest.Compute(1, [], files), Is.Not.EqualTo(digest));
        // Moving a byte from stdout into a file name must not collide: lengths are framed.
        Assert.That(ResultDigest.Compute(0, "a"u8, [new("b", [])]), Is.Not.EqualTo(ResultDigest.Compute(0, [], [new("ab", [])])));
    }

    [Test]
    public void Names_sort_by_utf8_bytes_not_by_culture()
    {
        var sorted = ResultDigest.InDigestOrder([new("é", []), new("z", []), new("Z", []), new("a/b", [])]);

        Assert.That(sorted.Select(f => f.Name), Is.EqualTo(new[] { "Z", "a/b", "z", "é" }));
    }

    [Test]
    public void Two_files_with_one_name_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ResultDigest.Compute(0, [], [new("f", [1]), new("f", [2])]));
    }
}
