using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using IExecChain.Core.Crypto;
using IExecChain.Core.Primitives;
using IExecChain.Core.Transactions;
using IExecChain.Core.Wire;
using IExecChain.State.Market;
using NUnit.Framework;

namespace IExecChain.State.Tests.ClientVectors;

/// <summary>
/// Writes the known-answer vectors of the explorer's JS client (tests/vectors/*.json) from the
/// node's own code: TransactionCodec.Sign, OrderCodec.HashOf, MarketBlock.ResourceId, KeystoreV3.
/// A transaction's fields are written in the JS client's input form, read off the protobuf
/// descriptors: JSON names, uint64/fixed64/int64 as decimal strings, bytes as 0x hex, enums by
/// name. Every scalar outside a oneof is written even at its default, so the client must leave it out.
/// </summary>
internal static class VectorFiles
{
    public const string RegenerateVariable = "IEXEC_REGENERATE_VECTORS";
    public const string RegenerateCommand = RegenerateVariable + "=1 dotnet test tests/IExecChain.State.Tests --filter ClientVector";
    public const string RegenerateKeystoresCommand = RegenerateVariable + "=keystores dotnet test tests/IExecChain.State.Tests --filter ClientVector";

    public static string TransactionsPath => Path.Combine(RepositoryRoot(), "tests", "vectors", "transactions.json");
    public static string KeystoresPath => Path.Combine(RepositoryRoot(), "tests", "vectors", "keystores.json");

    private static readonly JsonWriterOptions Indented = new() { Indented = true, NewLine = "\n" };

    public static string FormatTransactions(IReadOnlyList<TransactionVectors.Vector> vectors)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Indented))
        {
            json.WriteStartObject();
            json.WriteStartArray("about");
            json.WriteStringValue("Transactions built and signed by the node's code (TransactionCodec.Sign), written by");
            json.WriteStringValue("tests/IExecChain.State.Tests/ClientVectors: the JS client (src/IExecChain.Explorer/client) must produce these bytes.");
            json.WriteStringValue("tx: the body's fields in the client's input form; body, signed: the exact bytes; id = keccak256(signed).");
            json.WriteStringValue("nodeAccepts: whether TransactionCodec.TryDecode takes it (some vectors are encoding edge cases the node refuses).");
            json.WriteStringValue("Do not edit by hand. After a deliberate change, regenerate with: " + RegenerateCommand);
            json.WriteEndArray();
            json.WriteStartArray("transactions");
            foreach (var vector in vectors) WriteVector(json, vector);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteVector(Utf8JsonWriter json, TransactionVectors.Vector vector)
    {
        byte[] signed = TransactionCodec.Sign(vector.Body, vector.Key);
        var envelope = SignedTransaction.Parser.ParseFrom(signed);
        byte[] body = envelope.Body.ToByteArray();
        Hash256 bodyHash = Keccak256.Hash(body);
        Assert.That(body, Is.EqualTo(vector.Body.ToByteArray()), vector.Name);
        Assert.That(Secp256k1.TryRecoverAddress(bodyHash, envelope.Signature.Span, out var recovered), Is.True, vector.Name);
        Assert.That(recovered, Is.EqualTo(vector.Key.Address), vector.Name);
        bool accepted = TransactionCodec.TryDecode(signed, vector.Body.ChainId, TransactionCodec.AbsoluteMaxSize, out _, out _);

        json.WriteStartObject();
        json.WriteString("name", vector.Name);
        json.WriteString("privateKey", vector.Key.ToHex());
        json.WriteString("sender", vector.Key.Address.ToString());
        json.WritePropertyName("tx");
        WriteMessage(json, vector.Body);
        json.WriteString("body", Hex.Encode(body));
        json.WriteString("bodyHash", bodyHash.ToString());
        json.WriteString("signature", Hex.Encode(envelope.Signature.Span));
        json.WriteString("signed", Hex.Encode(signed));
        json.WriteString("id", Keccak256.Hash(signed).ToString());
        json.WriteBoolean("nodeAccepts", accepted);
        if (vector.Body.PayloadCase == TransactionBody.PayloadOneofCase.PlaceOrder)
            json.WriteString("orderHash", OrderCodec.HashOf(vector.Body.PlaceOrder).ToString());
        if (ResourceKind(vector.Body) is { } kind)
            json.WriteString("resourceAddress", MarketBlock.ResourceId(kind, vector.Key.Address, vector.Body.Nonce).ToString());
        json.WriteEndObject();
    }

    private static byte? ResourceKind(TransactionBody body) => body.PayloadCase switch
    {
        TransactionBody.PayloadOneofCase.RegisterApp => MarketBlock.AppIdKind,
        TransactionBody.PayloadOneofCase.RegisterDataset => MarketBlock.DatasetIdKind,
        TransactionBody.PayloadOneofCase.RegisterWorkerpool => MarketBlock.WorkerpoolIdKind,
        _ => null,
    };

    private static void WriteMessage(Utf8JsonWriter json, IMessage message)
    {
        json.WriteStartObject();
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            object value = field.Accessor.GetValue(message);
            if (field.ContainingOneof is not null && !field.Accessor.HasValue(message)) continue;
            if (field.FieldType == FieldType.Message && !field.IsRepeated && value is null) continue;
            json.WritePropertyName(field.JsonName);
            if (field.IsRepeated)
            {
                json.WriteStartArray();
                foreach (var item in (IList)value) WriteValue(json, field, item);
                json.WriteEndArray();
            }
            else WriteValue(json, field, value);
        }
        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, FieldDescriptor field, object value)
    {
        switch (field.FieldType)
        {
            case FieldType.UInt64 or FieldType.Fixed64:
                json.WriteStringValue(((ulong)value).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case FieldType.Int64:
                json.WriteStringValue(((long)value).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case FieldType.UInt32:
                json.WriteNumberValue((uint)value);
                break;
            case FieldType.Bool:
                json.WriteBooleanValue((bool)value);
                break;
            case FieldType.String:
                json.WriteStringValue((string)value);
                break;
            case FieldType.Bytes:
                json.WriteStringValue(Hex.Encode(((ByteString)value).Span));
                break;
            case FieldType.Enum:
                json.WriteStringValue(field.EnumType.FindValueByNumber(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)).Name);
                break;
            case FieldType.Message:
                WriteMessage(json, (IMessage)value);
                break;
            default:
                throw new NotSupportedException($"{field.FullName}: field type {field.FieldType} has no vector form yet");
        }
    }

    /// <summary>One keystore vector: made by KeystoreV3.Encrypt with a low scrypt cost (or PBKDF2).</summary>
    public sealed record KeystoreVector(string Name, string Password, PrivateKey Key, KeystoreKdf Kdf, int? ScryptN);

    public static readonly KeystoreVector[] Keystores =
    [
        new("scrypt, N = 1024", "correct horse battery staple", TransactionVectors.Alice, KeystoreKdf.Scrypt, 1024),
        new("pbkdf2, c = 262144", "testpassword", TransactionVectors.Carol, KeystoreKdf.Pbkdf2, null),
        new("scrypt, N = 16, a non-ASCII password (UTF-8 bytes)", "pässwörd 東京 🔑", TransactionVectors.One, KeystoreKdf.Scrypt, 16),
    ];

    /// <summary>Fresh keystores (random salt and IV: each run writes different files, all valid).</summary>
    public static string FormatKeystores()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Indented))
        {
            json.WriteStartObject();
            json.WriteStartArray("about");
            json.WriteStringValue("Keystores written by the node's KeystoreV3.Encrypt (random salt and IV) with their passwords:");
            json.WriteStringValue("the JS client must decrypt each to privateKey and address, and refuse a wrong password.");
            json.WriteStringValue("KeystoreVectorTests checks on every run that the node opens them. Regenerate with: " + RegenerateKeystoresCommand);
            json.WriteEndArray();
            json.WriteStartArray("keystores");
            foreach (var vector in Keystores)
            {
                json.WriteStartObject();
                json.WriteString("name", vector.Name);
                json.WriteString("password", vector.Password);
                json.WriteString("privateKey", vector.Key.ToHex());
                json.WriteString("address", vector.Key.Address.ToString());
                json.WritePropertyName("keystore");
                json.WriteRawValue(KeystoreV3.Encrypt(vector.Key, vector.Password, vector.Kdf, vector.ScryptN));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>The repository's root (where iExecChain.sln is), found from this file's path or the test binaries.</summary>
    public static string RepositoryRoot([CallerFilePath] string thisFile = "")
    {
        foreach (var start in new[] { Path.GetDirectoryName(thisFile), AppContext.BaseDirectory })
        {
            for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "iExecChain.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"cannot find iExecChain.sln above {thisFile} or {AppContext.BaseDirectory}");
    }
}
