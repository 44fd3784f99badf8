using Google.Protobuf;
using IExecChain.Core.Primitives;
using IExecChain.Core.Wire;

namespace IExecChain.State.Execution;

/// <summary>
/// Builds the <see cref="Reason"/> a handler returns: <c>Reasons.Of(ReasonCode.AppExists).Id(app)</c>.
/// Arguments go in the order the code's text (<see cref="ReasonText"/>) names them.
/// </summary>
public static class Reasons
{
    public static Reason Of(ReasonCode code) => new() { Code = code };

    public static Reason Id(this Reason reason, Address id)
    {
        reason.Ids.Add(UnsafeByteOperations.UnsafeWrap(id.ToArray()));
        return reason;
    }

    public static Reason Id(this Reason reason, Hash256 id)
    {
        reason.Ids.Add(UnsafeByteOperations.UnsafeWrap(id.ToArray()));
        return reason;
    }

    /// <summary>An id already in wire form (20 or 32 bytes).</summary>
    public static Reason Id(this Reason reason, ByteString id)
    {
        reason.Ids.Add(id);
        return reason;
    }

    public static Reason Number(this Reason reason, ulong value)
    {
        reason.Numbers.Add(value);
        return reason;
    }

    public static Reason Number<TEnum>(this Reason reason, TEnum value) where TEnum : struct, Enum
    {
        reason.Numbers.Add(Convert.ToUInt64(value, System.Globalization.CultureInfo.InvariantCulture));
        return reason;
    }
}
