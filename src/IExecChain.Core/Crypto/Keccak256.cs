using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using IExecChain.Core.Primitives;

namespace IExecChain.Core.Crypto;

/// <summary>
/// Keccak-256 as used by Ethereum (original Keccak padding 0x01, not SHA3's 0x06).
/// A managed one-shot implementation with the permutation fully in locals, so hashing a short
/// message allocates nothing.
/// </summary>
public static class Keccak256
{
    private const int Rate = 136;

    public static Hash256 Hash(ReadOnlySpan<byte> input)
    {
        Span<byte> output = stackalloc byte[32];
        Hash(input, output);
        return new Hash256(output);
    }

    public static byte[] HashToArray(ReadOnlySpan<byte> input)
    {
        var output = new byte[32];
        Hash(input, output);
        return output;
    }

    /// <summary>Hashes the concatenation of two inputs without copying them together.</summary>
    public static Hash256 HashConcat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var hasher = new Incremental();
        hasher.Append(a);
        hasher.Append(b);
        return hasher.Finish();
    }

    public static void Hash(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (output.Length < 32) throw new ArgumentException("output must hold 32 bytes", nameof(output));
        Span<ulong> state = stackalloc ulong[25];
        state.Clear();
        while (input.Length >= Rate)
        {
            AbsorbBlock(state, input[..Rate]);
            Permute(state);
            input = input[Rate..];
        }
        Span<byte> last = stackalloc byte[Rate];
        last.Clear();
        input.CopyTo(last);
        last[input.Length] ^= 0x01;
        last[Rate - 1] ^= 0x80;
        AbsorbBlock(state, last);
        Permute(state);
        for (int i = 0; i < 4; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(output.Slice(i * 8, 8), state[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AbsorbBlock(Span<ulong> state, ReadOnlySpan<byte> block)
    {
        for (int i = 0; i < Rate / 8; i++)
            state[i] ^= BinaryPrimitives.ReadUInt64LittleEndian(block.Slice(i * 8, 8));
    }

    /// <summary>Streaming hasher for inputs that arrive in pieces (e.g. prefix + key + value).</summary>
    public struct Incremental
    {
        private State25 _state;
        private Buffer136 _buffer;
        private int _buffered;

        public void Append(ReadOnlySpan<byte> data)
        {
            Span<ulong> state = _state;
            Span<byte> buffer = _buffer;
            if (_buffered > 0)
            {
                int take = Math.Min(Rate - _buffered, data.Length);
                data[..take].CopyTo(buffer[_buffered..]);
                _buffered += take;
                data = data[take..];
                if (_buffered < Rate) return;
                AbsorbBlock(state, buffer);
                Permute(state);
                _buffered = 0;
            }
            while (data.Length >= Rate)
            {
                AbsorbBlock(state, data[..Rate]);
                Permute(state);
                data = data[Rate..];
            }
            data.CopyTo(buffer);
            _buffered = data.Length;
        }

        public Hash256 Finish()
        {
            Span<ulong> state = _state;
            Span<byte> buffer = _buffer;
            buffer[_buffered..].Clear();
            buffer[_buffered] ^= 0x01;
            buffer[Rate - 1] ^= 0x80;
            AbsorbBlock(state, buffer);
            Permute(state);
            Span<byte> output = stackalloc byte[32];
            for (int i = 0; i < 4; i++)
                BinaryPrimitives.WriteUInt64LittleEndian(output.Slice(i * 8, 8), state[i]);
            return new Hash256(output);
        }

        [InlineArray(25)]
        private struct State25 { private ulong _e0; }

        [InlineArray(Rate)]
        private struct Buffer136 { private byte _e0; }
    }

    private static readonly ulong[] RoundConstants =
    [
        0x0000000000000001UL, 0x0000000000008082UL, 0x800000000000808aUL, 0x8000000080008000UL,
        0x000000000000808bUL, 0x0000000080000001UL, 0x8000000080008081UL, 0x8000000000008009UL,
        0x000000000000008aUL, 0x0000000000000088UL, 0x0000000080008009UL, 0x000000008000000aUL,
        0x000000008000808bUL, 0x800000000000008bUL, 0x8000000000008089UL, 0x8000000000008003UL,
        0x8000000000008002UL, 0x8000000000000080UL, 0x000000000000800aUL, 0x800000008000000aUL,
        0x8000000080008081UL, 0x8000000000008080UL, 0x0000000080000001UL, 0x8000000080008008UL,
    ];

    /// <summary>The Keccak-f[1600] permutation, with the 25 lanes held in locals.</summary>
    internal static void Permute(Span<ulong> st)
    {
        ulong a00 = st[0], a01 = st[1], a02 = st[2], a03 = st[3], a04 = st[4];
        ulong a05 = st[5], a06 = st[6], a07 = st[7], a08 = st[8], a09 = st[9];
        ulong a10 = st[10], a11 = st[11], a12 = st[12], a13 = st[13], a14 = st[14];
        ulong a15 = st[15], a16 = st[16], a17 = st[17], a18 = st[18], a19 = st[19];
        ulong a20 = st[20], a21 = st[21], a22 = st[22], a23 = st[23], a24 = st[24];

        for (int round = 0; round < 24; round++)
        {
            // theta
            ulong c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
            ulong c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
            ulong c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
            ulong c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
            ulong c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
            ulong d0 = c4 ^ BitOperations.RotateLeft(c1, 1);
            ulong d1 = c0 ^ BitOperations.RotateLeft(c2, 1);
            ulong d2 = c1 ^ BitOperations.RotateLeft(c3, 1);
            ulong d3 = c2 ^ BitOperations.RotateLeft(c4, 1);
            ulong d4 = c3 ^ BitOperations.RotateLeft(c0, 1);

            // rho and pi: b[y][2x+3y] = rot(a[x][y] ^ d[x], r[x][y])
            ulong b00 = a00 ^ d0;
            ulong b10 = BitOperations.RotateLeft(a01 ^ d1, 1);
            ulong b20 = BitOperations.RotateLeft(a02 ^ d2, 62);
            ulong b05 = BitOperations.RotateLeft(a03 ^ d3, 28);
            ulong b15 = BitOperations.RotateLeft(a04 ^ d4, 27);
            ulong b16 = BitOperations.RotateLeft(a05 ^ d0, 36);
            ulong b01 = BitOperations.RotateLeft(a06 ^ d1, 44);
            ulong b11 = BitOperations.RotateLeft(a07 ^ d2, 6);
            ulong b21 = BitOperations.RotateLeft(a08 ^ d3, 55);
            ulong b06 = BitOperations.RotateLeft(a09 ^ d4, 20);
            ulong b07 = BitOperations.RotateLeft(a10 ^ d0, 3);
            ulong b17 = BitOperations.RotateLeft(a11 ^ d1, 10);
            ulong b02 = BitOperations.RotateLeft(a12 ^ d2, 43);
            ulong b12 = BitOperations.RotateLeft(a13 ^ d3, 25);
            ulong b22 = BitOperations.RotateLeft(a14 ^ d4, 39);
            ulong b23 = BitOperations.RotateLeft(a15 ^ d0, 41);
            ulong b08 = BitOperations.RotateLeft(a16 ^ d1, 45);
            ulong b18 = BitOperations.RotateLeft(a17 ^ d2, 15);
            ulong b03 = BitOperations.RotateLeft(a18 ^ d3, 21);
            ulong b13 = BitOperations.RotateLeft(a19 ^ d4, 8);
            ulong b14 = BitOperations.RotateLeft(a20 ^ d0, 18);
            ulong b24 = BitOperations.RotateLeft(a21 ^ d1, 2);
            ulong b09 = BitOperations.RotateLeft(a22 ^ d2, 61);
            ulong b19 = BitOperations.RotateLeft(a23 ^ d3, 56);
            ulong b04 = BitOperations.RotateLeft(a24 ^ d4, 14);

            // chi
            a00 = b00 ^ (~b01 & b02); a01 = b01 ^ (~b02 & b03); a02 = b02 ^ (~b03 & b04); a03 = b03 ^ (~b04 & b00); a04 = b04 ^ (~b00 & b01);
            a05 = b05 ^ (~b06 & b07); a06 = b06 ^ (~b07 & b08); a07 = b07 ^ (~b08 & b09); a08 = b08 ^ (~b09 & b05); a09 = b09 ^ (~b05 & b06);
            a10 = b10 ^ (~b11 & b12); a11 = b11 ^ (~b12 & b13); a12 = b12 ^ (~b13 & b14); a13 = b13 ^ (~b14 & b10); a14 = b14 ^ (~b10 & b11);
            a15 = b15 ^ (~b16 & b17); a16 = b16 ^ (~b17 & b18); a17 = b17 ^ (~b18 & b19); a18 = b18 ^ (~b19 & b15); a19 = b19 ^ (~b15 & b16);
            a20 = b20 ^ (~b21 & b22); a21 = b21 ^ (~b22 & b23); a22 = b22 ^ (~b23 & b24); a23 = b23 ^ (~b24 & b20); a24 = b24 ^ (~b20 & b21);

            // iota
            a00 ^= RoundConstants[round];
        }

        st[0] = a00; st[1] = a01; st[2] = a02; st[3] = a03; st[4] = a04;
        st[5] = a05; st[6] = a06; st[7] = a07; st[8] = a08; st[9] = a09;
        st[10] = a10; st[11] = a11; st[12] = a12; st[13] = a13; st[14] = a14;
        st[15] = a15; st[16] = a16; st[17] = a17; st[18] = a18; st[19] = a19;
        st[20] = a20; st[21] = a21; st[22] = a22; st[23] = a23; st[24] = a24;
    }
}
