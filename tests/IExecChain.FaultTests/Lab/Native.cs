using System.Runtime.InteropServices;

namespace IExecChain.FaultTests.Lab;

/// <summary>
/// The fault lab's only native calls: libc (signals, network namespaces, poll/recv) and Debian's
/// libnetfilter-queue1. Everything else reaches them through <see cref="PacketDelayer"/> and
/// <see cref="ValidatorProcess"/>.
/// </summary>
internal static partial class Native
{
    private const string LibC = "libc";
    public const string NetfilterQueueLibrary = "libnetfilter_queue.so.1";

    public const int SigKill = 9;
    public const int SigCont = 18;
    public const int SigStop = 19;
    public const int CloneNewNet = 0x40000000;
    public const short PollIn = 0x1;
    public const int MsgDontWait = 0x40;
    public const byte NfqnlCopyMeta = 1;
    public const uint NfAccept = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(LibC, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(LibC, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nsType);

    [LibraryImport(LibC, EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(LibC, EntryPoint = "recv", SetLastError = true)]
    public static unsafe partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_open")]
    public static partial nint NfqOpen();

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_close")]
    public static partial int NfqClose(nint handle);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_create_queue")]
    public static unsafe partial nint NfqCreateQueue(nint handle, ushort number, delegate* unmanaged[Cdecl]<nint, nint, nint, nint, int> callback, nint data);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_destroy_queue")]
    public static partial int NfqDestroyQueue(nint queue);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_set_mode")]
    public static partial int NfqSetMode(nint queue, byte mode, uint range);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_set_queue_maxlen")]
    public static partial int NfqSetQueueMaxLength(nint queue, uint length);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_fd")]
    public static partial int NfqFd(nint handle);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_handle_packet")]
    public static unsafe partial int NfqHandlePacket(nint handle, byte* buffer, int length);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_get_msg_packet_hdr")]
    public static partial nint NfqGetPacketHeader(nint data);

    [LibraryImport(NetfilterQueueLibrary, EntryPoint = "nfq_set_verdict")]
    public static partial int NfqSetVerdict(nint queue, uint id, uint verdict, uint dataLength, nint buffer);

    /// <summary>The packet id of a queued packet: the first field of nfqnl_msg_packet_hdr, in network order.</summary>
    public static unsafe uint PacketId(nint header) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>((void*)header, 4));
}
