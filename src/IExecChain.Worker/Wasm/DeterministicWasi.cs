using System.Buffers.Binary;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using Wasmtime;

namespace IExecChain.Worker.Wasm;

/// <summary>
/// Replaces the WASI calls that would let an app observe the host (clocks, entropy, real waiting)
/// with deterministic ones, so that every replica of a task computes the same result:
/// clocks read <see cref="RunContext.ClockNanos"/>, random_get returns the seeded stream of
/// docs/worker.md, and poll_oneoff reports every subscription as ready at once (sleeps return
/// immediately and never block the worker's thread, where the epoch watchdog cannot reach).
/// </summary>
internal static class DeterministicWasi
{
    private const string Module = "wasi_snapshot_preview1";
    private const string MemoryExport = "memory";

    // WASI preview 1 errno values.
    private const int Success = 0;
    private const int Fault = 21;
    private const int Invalid = 28;

    private const int ClockCount = 4; // realtime, monotonic, process and thread CPU time
    private const long ClockResolutionNanos = 1;

    public static void Define(Linker linker)
    {
        linker.AllowShadowing = true;
        linker.DefineFunction(Module, "clock_time_get", (Caller caller, int clockId, long precision, int timePtr) =>
        {
            if ((uint)clockId >= ClockCount) return Invalid;
            if (!caller.TryGetMemorySpan<byte>(MemoryExport, (uint)timePtr, 8, out var span)) return Fault;
            BinaryPrimitives.WriteUInt64LittleEndian(span, ((RunContext)caller.GetData()!).ClockNanos);
            return Success;
        });
        linker.DefineFunction(Module, "clock_res_get", (Caller caller, int clockId, int resolutionPtr) =>
        {
            if ((uint)clockId >= ClockCount) return Invalid;
            if (!caller.TryGetMemorySpan<byte>(MemoryExport, (uint)resolutionPtr, 8, out var span)) return Fault;
            BinaryPrimitives.WriteInt64LittleEndian(span, ClockResolutionNanos);
            return Success;
        });
        linker.DefineFunction(Module, "random_get", (Caller caller, int bufferPtr, int length) =>
        {
            if (length < 0 || !caller.TryGetMemorySpan<byte>(MemoryExport, (uint)bufferPtr, length, out var span)) return Fault;
            ((RunContext)caller.GetData()!).Random.Fill(span);
            return Success;
        });
        linker.DefineFunction(Module, "poll_oneoff", (Caller caller, int subscriptionsPtr, int eventsPtr, int count, int eventCountPtr) =>
            PollOneoff(caller, (uint)subscriptionsPtr, (uint)eventsPtr, count, (uint)eventCountPtr));
        linker.AllowShadowing = false;
    }

    // subscription (48 bytes): userdata u64 @0, tag u8 @8, then the tag's fields.
    // event (32 bytes): userdata u64 @0, errno u16 @8, type u8 @10, fd_readwrite { nbytes u64 @16, flags u16 @24 }.
    private const int SubscriptionSize = 48;
    private const int EventSize = 32;

    private static int PollOneoff(Caller caller, uint subscriptionsPtr, uint eventsPtr, int count, uint eventCountPtr)
    {
        if (count <= 0) return Invalid;
        if (count > int.MaxValue / SubscriptionSize) return Fault;
        if (!caller.TryGetMemorySpan<byte>(MemoryExport, subscriptionsPtr, count * SubscriptionSize, out var subscriptions)) return Fault;
        // Read everything first: the event array may overlap the subscriptions.
        var pending = new (ulong UserData, byte Tag)[count];
        for (int i = 0; i < count; i++)
        {
            var subscription = subscriptions.Slice(i * SubscriptionSize, SubscriptionSize);
            byte tag = subscription[8];
            if (tag > 2) return Invalid;
            pending[i] = (BinaryPrimitives.ReadUInt64LittleEndian(subscription), tag);
        }
        if (!caller.TryGetMemorySpan<byte>(MemoryExport, eventsPtr, count * EventSize, out var events)) return Fault;
        events.Clear();
        for (int i = 0; i < count; i++)
        {
            var entry = events.Slice(i * EventSize, EventSize);
            BinaryPrimitives.WriteUInt64LittleEndian(entry, pending[i].UserData);
            entry[10] = pending[i].Tag;
        }
        if (!caller.TryGetMemorySpan<byte>(MemoryExport, eventCountPtr, 4, out var eventCount)) return Fault;
        BinaryPrimitives.WriteInt32LittleEndian(eventCount, count);
        return Success;
    }
}

/// <summary>Per-run state the deterministic WASI calls read (the store's data).</summary>
internal sealed class RunContext(Hash256 randomSeed, ulong clockNanos)
{
    public ulong ClockNanos { get; } = clockNanos;
    public SeededRandom Random { get; } = new(randomSeed);
}

/// <summary>
/// The bytes random_get returns: block k = keccak256(seed ‖ uint64-BE k), blocks concatenated,
/// consumed in order across all calls of a run.
/// </summary>
internal sealed class SeededRandom(Hash256 seed)
{
    private readonly byte[] _block = new byte[Hash256.Size];
    private ulong _nextBlock;
    private int _used = Hash256.Size;

    public void Fill(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (_used == Hash256.Size) NextBlock();
            int take = Math.Min(destination.Length, Hash256.Size - _used);
            _block.AsSpan(_used, take).CopyTo(destination);
            _used += take;
            destination = destination[take..];
        }
    }

    private void NextBlock()
    {
        Span<byte> input = stackalloc byte[Hash256.Size + 8];
        seed.CopyTo(input);
        BinaryPrimitives.WriteUInt64BigEndian(input[Hash256.Size..], _nextBlock++);
        Keccak256.Hash(input, _block);
        _used = 0;
    }
}
