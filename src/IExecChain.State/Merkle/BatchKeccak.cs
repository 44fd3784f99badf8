using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;

namespace IExecChain.State.Merkle;

/// <summary>
/// Keccak-256 of up to eight single-block messages (at most 135 bytes each) at once: the tree's
/// 65-byte leaf/internal preimages and short values. Same digests as
/// <see cref="IExecChain.Core.Crypto.Keccak256"/>; with AVX-512 the eight permutations run side by
/// side in the eight 64-bit lanes of 512-bit registers (vprolq, vpternlogq), otherwise one by one with
/// a scalar single-block permutation (no general buffer handling).
/// <para>
/// Input is the padded block in transposed form: <c>lanes[k * 8 + j]</c> is 64-bit word k of message
/// j, words 0..16 (the 136-byte rate); <see cref="SetMessage"/> and <see cref="SetPreimage65"/> fill a
/// column.
/// </para>
/// </summary>
internal static class BatchKeccak
{
    public const int Ways = 8;
    public const int RateWords = 17;
    public const int LaneBufferLength = RateWords * Ways;
    public const int MaxMessageLength = 135;

    /// <summary>Whether <see cref="Hash"/> runs eight permutations in parallel.</summary>
    public static readonly bool IsAccelerated = Avx512F.IsSupported;

    private static readonly ulong[] RoundConstants =
    [
        0x0000000000000001UL, 0x0000000000008082UL, 0x800000000000808aUL, 0x8000000080008000UL,
        0x000000000000808bUL, 0x0000000080000001UL, 0x8000000080008081UL, 0x8000000000008009UL,
        0x000000000000008aUL, 0x0000000000000088UL, 0x0000000080008009UL, 0x000000008000000aUL,
        0x000000008000808bUL, 0x800000000000008bUL, 0x8000000000008089UL, 0x8000000000008003UL,
        0x8000000000008002UL, 0x8000000000000080UL, 0x000000000000800aUL, 0x800000008000000aUL,
        0x8000000080008081UL, 0x8000000000008080UL, 0x0000000080000001UL, 0x8000000080008008UL,
    ];

    /// <summary>Writes message j (≤ 135 bytes), padded (Keccak 0x01 … 0x80), into column j.</summary>
    public static void SetMessage(Span<ulong> lanes, int j, ReadOnlySpan<byte> message)
    {
        if (message.Length > MaxMessageLength) throw new ArgumentException("message does not fit one block", nameof(message));
        Span<byte> block = stackalloc byte[136];
        block.Clear();
        message.CopyTo(block);
        block[message.Length] ^= 0x01;
        block[135] ^= 0x80;
        for (int k = 0; k < RateWords; k++)
            lanes[k * Ways + j] = BinaryPrimitives.ReadUInt64LittleEndian(block[(k * 8)..]);
    }

    /// <summary>Writes the padded 65-byte preimage prefix || a || b into column j.</summary>
    public static void SetPreimage65(Span<ulong> lanes, int j, byte prefix, in Hash256 a, in Hash256 b)
    {
        Span<byte> block = stackalloc byte[72];
        block[0] = prefix;
        a.CopyTo(block[1..]);
        b.CopyTo(block[33..]);
        block[65] = 0x01;
        block[66..].Clear();
        for (int k = 0; k < 9; k++)
            lanes[k * Ways + j] = BinaryPrimitives.ReadUInt64LittleEndian(block[(k * 8)..]);
        for (int k = 9; k < 16; k++) lanes[k * Ways + j] = 0;
        lanes[16 * Ways + j] = 0x8000000000000000UL;
    }

    /// <summary>Hashes columns 0..count-1 of <paramref name="lanes"/> (count ≤ 8) into <paramref name="output"/>.</summary>
    public static void Hash(ReadOnlySpan<ulong> lanes, int count, Span<Hash256> output)
    {
        if (lanes.Length < LaneBufferLength) throw new ArgumentException("lane buffer too short", nameof(lanes));
        if ((uint)count > Ways || output.Length < count) throw new ArgumentOutOfRangeException(nameof(count));
        // One 8-way permutation costs about two scalar ones: not worth it for one or two messages.
        if (IsAccelerated && count > 2) Hash8(lanes, count, output);
        else
            for (int j = 0; j < count; j++) output[j] = HashScalar(lanes, j);
    }

    private static Hash256 ToHash(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        Span<byte> digest = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(digest, w0);
        BinaryPrimitives.WriteUInt64LittleEndian(digest[8..], w1);
        BinaryPrimitives.WriteUInt64LittleEndian(digest[16..], w2);
        BinaryPrimitives.WriteUInt64LittleEndian(digest[24..], w3);
        return new Hash256(digest);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Xor5(Vector512<ulong> a, Vector512<ulong> b, Vector512<ulong> c, Vector512<ulong> d, Vector512<ulong> e) =>
        Avx512F.TernaryLogic(Avx512F.TernaryLogic(a, b, c, 0x96), d, e, 0x96);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Chi(Vector512<ulong> a, Vector512<ulong> b, Vector512<ulong> c) =>
        Avx512F.TernaryLogic(a, b, c, 0xD2); // a ^ (~b & c)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Load(ReadOnlySpan<ulong> lanes, int k) => Vector512.Create(lanes.Slice(k * Ways, Ways));

    [SkipLocalsInit]
    private static void Hash8(ReadOnlySpan<ulong> lanes, int count, Span<Hash256> output)
    {
        var a00 = Load(lanes, 0); var a01 = Load(lanes, 1); var a02 = Load(lanes, 2); var a03 = Load(lanes, 3); var a04 = Load(lanes, 4);
        var a05 = Load(lanes, 5); var a06 = Load(lanes, 6); var a07 = Load(lanes, 7); var a08 = Load(lanes, 8); var a09 = Load(lanes, 9);
        var a10 = Load(lanes, 10); var a11 = Load(lanes, 11); var a12 = Load(lanes, 12); var a13 = Load(lanes, 13); var a14 = Load(lanes, 14);
        var a15 = Load(lanes, 15); var a16 = Load(lanes, 16);
        Vector512<ulong> a17 = default, a18 = default, a19 = default, a20 = default, a21 = default, a22 = default, a23 = default, a24 = default;

        var constants = RoundConstants;
        for (int round = 0; round < 24; round++)
        {
            var c0 = Xor5(a00, a05, a10, a15, a20);
            var c1 = Xor5(a01, a06, a11, a16, a21);
            var c2 = Xor5(a02, a07, a12, a17, a22);
            var c3 = Xor5(a03, a08, a13, a18, a23);
            var c4 = Xor5(a04, a09, a14, a19, a24);
            var d0 = c4 ^ Avx512F.RotateLeft(c1, 1);
            var d1 = c0 ^ Avx512F.RotateLeft(c2, 1);
            var d2 = c1 ^ Avx512F.RotateLeft(c3, 1);
            var d3 = c2 ^ Avx512F.RotateLeft(c4, 1);
            var d4 = c3 ^ Avx512F.RotateLeft(c0, 1);

            var b00 = a00 ^ d0;
            var b10 = Avx512F.RotateLeft(a01 ^ d1, 1);
            var b20 = Avx512F.RotateLeft(a02 ^ d2, 62);
            var b05 = Avx512F.RotateLeft(a03 ^ d3, 28);
            var b15 = Avx512F.RotateLeft(a04 ^ d4, 27);
            var b16 = Avx512F.RotateLeft(a05 ^ d0, 36);
            var b01 = Avx512F.RotateLeft(a06 ^ d1, 44);
            var b11 = Avx512F.RotateLeft(a07 ^ d2, 6);
            var b21 = Avx512F.RotateLeft(a08 ^ d3, 55);
            var b06 = Avx512F.RotateLeft(a09 ^ d4, 20);
            var b07 = Avx512F.RotateLeft(a10 ^ d0, 3);
            var b17 = Avx512F.RotateLeft(a11 ^ d1, 10);
            var b02 = Avx512F.RotateLeft(a12 ^ d2, 43);
            var b12 = Avx512F.RotateLeft(a13 ^ d3, 25);
            var b22 = Avx512F.RotateLeft(a14 ^ d4, 39);
            var b23 = Avx512F.RotateLeft(a15 ^ d0, 41);
            var b08 = Avx512F.RotateLeft(a16 ^ d1, 45);
            var b18 = Avx512F.RotateLeft(a17 ^ d2, 15);
            var b03 = Avx512F.RotateLeft(a18 ^ d3, 21);
            var b13 = Avx512F.RotateLeft(a19 ^ d4, 8);
            var b14 = Avx512F.RotateLeft(a20 ^ d0, 18);
            var b24 = Avx512F.RotateLeft(a21 ^ d1, 2);
            var b09 = Avx512F.RotateLeft(a22 ^ d2, 61);
            var b19 = Avx512F.RotateLeft(a23 ^ d3, 56);
            var b04 = Avx512F.RotateLeft(a24 ^ d4, 14);

            a00 = Chi(b00, b01, b02) ^ Vector512.Create(constants[round]);
            a01 = Chi(b01, b02, b03); a02 = Chi(b02, b03, b04); a03 = Chi(b03, b04, b00); a04 = Chi(b04, b00, b01);
            a05 = Chi(b05, b06, b07); a06 = Chi(b06, b07, b08); a07 = Chi(b07, b08, b09); a08 = Chi(b08, b09, b05); a09 = Chi(b09, b05, b06);
            a10 = Chi(b10, b11, b12); a11 = Chi(b11, b12, b13); a12 = Chi(b12, b13, b14); a13 = Chi(b13, b14, b10); a14 = Chi(b14, b10, b11);
            a15 = Chi(b15, b16, b17); a16 = Chi(b16, b17, b18); a17 = Chi(b17, b18, b19); a18 = Chi(b18, b19, b15); a19 = Chi(b19, b15, b16);
            a20 = Chi(b20, b21, b22); a21 = Chi(b21, b22, b23); a22 = Chi(b22, b23, b24); a23 = Chi(b23, b24, b20); a24 = Chi(b24, b20, b21);
        }

        for (int j = 0; j < count; j++)
            output[j] = ToHash(a00.GetElement(j), a01.GetElement(j), a02.GetElement(j), a03.GetElement(j));
    }

    /// <summary>Column j alone through the shared scalar permutation (one absorbed block).</summary>
    private static Hash256 HashScalar(ReadOnlySpan<ulong> lanes, int j)
    {
        Span<ulong> state = stackalloc ulong[25];
        state.Clear();
        for (int k = 0; k < RateWords; k++) state[k] = lanes[k * Ways + j];
        Keccak256.Permute(state);
        return ToHash(state[0], state[1], state[2], state[3]);
    }
}
