using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IExecChain.FaultTests.Lab;

/// <summary>
/// Holds every packet an iptables NFQUEUE rule hands it for delay ± jitter (uniform) before letting
/// it go, in one network namespace. It stands in for netem, which this machine's kernel lacks
/// (docs/decisions.md, "Fault injection without netem"). Each packet gets its own draw, so packets
/// leave in another order than they came: jitter wider than the gap between two packets reorders
/// them, as netem's jitter does.
/// </summary>
/// <remarks>
/// The netlink socket belongs to the namespace of the thread that opens it, so a dedicated thread
/// enters the namespace (setns) before opening the queue and then owns the queue for its lifetime:
/// libnetfilter_queue is not thread-safe, so packets are read and released on that one thread.
/// </remarks>
internal sealed class PacketDelayer : IDisposable
{
    private readonly string _namespace;
    private readonly ushort _queue;
    private readonly long _delayTicks;
    private readonly long _jitterTicks;
    private readonly Random _random;
    private readonly PriorityQueue<uint, long> _held = new();
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _ready = new();
    private volatile bool _stopping;
    private string? _startError;

    private PacketDelayer(string netns, ushort queue, TimeSpan delay, TimeSpan jitter, int seed)
    {
        _namespace = netns;
        _queue = queue;
        _delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        _jitterTicks = (long)(jitter.TotalSeconds * Stopwatch.Frequency);
        _random = new Random(seed);
        _thread = new Thread(Run) { IsBackground = true, Name = $"delayer {netns}" };
    }

    /// <summary>Packets held so far (each released after its delay).</summary>
    public long Packets { get; private set; }

    /// <summary>Packets released before one that arrived earlier: the reordering the jitter caused.</summary>
    public long Reordered { get; private set; }

    /// <summary>Binds NFQUEUE <paramref name="queue"/> in <paramref name="netns"/>; returns once packets are being taken.</summary>
    public static PacketDelayer Start(string netns, ushort queue, TimeSpan delay, TimeSpan jitter, int seed)
    {
        var delayer = new PacketDelayer(netns, queue, delay, jitter, seed);
        delayer._thread.Start();
        delayer._ready.Wait();
        if (delayer._startError is { } error)
        {
            delayer._thread.Join();
            throw new InvalidOperationException($"packet delayer in {netns}: {error}");
        }
        return delayer;
    }

    private unsafe void Run()
    {
        nint handle = 0, queue = 0;
        var self = GCHandle.Alloc(this);
        try
        {
            using (var ns = File.OpenHandle(Path.Combine("/run/netns", _namespace)))
                if (Native.SetNs((int)ns.DangerousGetHandle(), Native.CloneNewNet) != 0)
                {
                    _startError = $"setns failed (errno {Marshal.GetLastPInvokeError()})";
                    return;
                }
            handle = Native.NfqOpen();
            if (handle == 0) { _startError = "nfq_open failed"; return; }
            queue = Native.NfqCreateQueue(handle, _queue, &OnPacket, GCHandle.ToIntPtr(self));
            if (queue == 0) { _startError = $"nfq_create_queue {_queue} failed (is another listener bound?)"; return; }
            if (Native.NfqSetMode(queue, Native.NfqnlCopyMeta, 0) < 0) { _startError = "nfq_set_mode failed"; return; }
            // Enough for a few seconds of node traffic held at once; the default (1024) would drop under load.
            if (Native.NfqSetQueueMaxLength(queue, 65536) < 0) { _startError = "nfq_set_queue_maxlen failed"; return; }
            int fd = Native.NfqFd(handle);
            _ready.Set();

            var buffer = new byte[1 << 16];
            long lastReleasedArrival = -1;
            var arrivals = new Dictionary<uint, long>();
            long arrival = 0;
            _onPacket = id =>
            {
                long jitter = _jitterTicks == 0 ? 0 : _random.NextInt64(-_jitterTicks, _jitterTicks + 1);
                _held.Enqueue(id, Stopwatch.GetTimestamp() + Math.Max(0, _delayTicks + jitter));
                arrivals[id] = arrival++;
                Packets++;
            };
            while (!_stopping)
            {
                int wait = 20;
                if (_held.TryPeek(out _, out long due))
                    wait = (int)Math.Clamp((due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency, 0, 20);
                var poll = new Native.PollFd { Fd = fd, Events = Native.PollIn };
                if (Native.Poll(&poll, 1, wait) > 0)
                {
                    fixed (byte* p = buffer)
                    {
                        // Drain what is there; ENOBUFS (the socket overflowed) loses packets like a full queue would.
                        nint n;
                        while ((n = Native.Recv(fd, p, (nuint)buffer.Length, Native.MsgDontWait)) > 0)
                            _ = Native.NfqHandlePacket(handle, p, (int)n);   // a message it cannot parse is no packet of ours
                    }
                }
                long now = Stopwatch.GetTimestamp();
                while (_held.TryPeek(out uint id, out long releaseAt) && releaseAt <= now)
                {
                    _held.Dequeue();
                    Release(queue, id);
                    if (arrivals.Remove(id, out long order))
                    {
                        if (order < lastReleasedArrival) Reordered++;
                        else lastReleasedArrival = order;
                    }
                }
            }
            // Let everything still held go: the rule is already gone, nothing new arrives.
            while (_held.TryDequeue(out uint id, out _)) Release(queue, id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            _startError = e.Message;
        }
        finally
        {
            if (queue != 0) _ = Native.NfqDestroyQueue(queue);
            if (handle != 0) _ = Native.NfqClose(handle);
            self.Free();
            _ready.Set();
        }
    }

    private Action<uint>? _onPacket;

    /// <summary>Verdicts the kernel refused (the packet is then dropped): loss the delayer added by itself.</summary>
    public long FailedVerdicts { get; private set; }

    private void Release(nint queue, uint id)
    {
        if (Native.NfqSetVerdict(queue, id, Native.NfAccept, 0, 0) < 0) FailedVerdicts++;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnPacket(nint queue, nint message, nint data, nint state)
    {
        var delayer = (PacketDelayer)GCHandle.FromIntPtr(state).Target!;
        delayer._onPacket!(Native.PacketId(Native.NfqGetPacketHeader(data)));
        return 0;
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _ready.Dispose();
    }
}
