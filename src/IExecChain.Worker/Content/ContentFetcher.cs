using System.Net.Http.Headers;
using System.Text.Json;
using IExecChain.Core.Content;
using IExecChain.Core.Primitives;
using IExecChain.Rpc.Contracts;

namespace IExecChain.Worker.Content;

public sealed class ContentFetcherOptions
{
    /// <summary>Tries per chunk (the first included) before the fetch fails.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Wait after the first failed try of a chunk; doubled after each further failure.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Per HTTP request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Chunks requested at once.</summary>
    public int Parallelism { get; init; } = 4;

    public void Validate()
    {
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "at least one attempt");
        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff) throw new ArgumentOutOfRangeException(nameof(MaxBackoff), "need 0 <= InitialBackoff <= MaxBackoff");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout), "must be positive");
        if (Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "at least one");
    }
}

/// <summary>A fetch that did not produce verified content; <see cref="ChunkIndex"/> names the chunk when one is to blame.</summary>
public sealed class ContentFetchException(Hash256 root, long? chunkIndex, string message) : Exception(message)
{
    public Hash256 Root { get; } = root;
    public long? ChunkIndex { get; } = chunkIndex;
}

/// <summary>
/// Downloads a content from a node with <c>iex_getChunk</c> and checks every chunk against the
/// root before using it: the result is the exact content named by (root, size) or an exception,
/// never unverified bytes. A chunk that fails (transport, server error, bad proof) is asked for
/// again with exponential back-off, up to <see cref="ContentFetcherOptions.MaxAttempts"/> times.
/// </summary>
public sealed class ContentFetcher : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ContentFetcherOptions _options;
    private long _nextId;

    public ContentFetcher(ContentFetcherOptions? options = null, HttpClient? http = null)
    {
        _options = options ?? new ContentFetcherOptions();
        _options.Validate();
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The whole content in memory; for content up to <see cref="Array.MaxLength"/> bytes.</summary>
    public async Task<byte[]> FetchAsync(Uri endpoint, Hash256 root, long size, CancellationToken ct = default)
    {
        if (size > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(size), size, "too large to fetch into memory; use FetchToAsync");
        using var buffer = new MemoryStream((int)Math.Max(size, 0));
        await FetchToAsync(endpoint, root, size, buffer, ct: ct).ConfigureAwait(false);
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    /// <summary>
    /// Writes the content to <paramref name="destination"/> in order, each chunk only once verified.
    /// On failure the destination holds a verified prefix, which the caller should discard.
    /// </summary>
    /// <param name="progress">Told the bytes verified and written so far, after each chunk or window of chunks.</param>
    public async Task<ContentInfo> FetchToAsync(Uri endpoint, Hash256 root, long size, Stream destination, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(size);

        // Chunk 0 tells the chunk size; the root commits to it, so a server lying about it fails verification.
        ChunkAnswer first = await FetchVerifiedAsync(endpoint, root, size, expectedChunkSize: null, 0, ct).ConfigureAwait(false);
        int chunkSize = first.ChunkSize;
        // The chain records only (root, size): the chunk size inside the root is first seen here,
        // and content cut too fine would cost this worker a hash and a request per few bytes.
        if (ContentChunking.Problem(size, chunkSize) is { } problem)
            throw new ContentFetchException(root, 0, $"content {root} is refused: {problem}");
        await destination.WriteAsync(first.Data, ct).ConfigureAwait(false);
        long written = first.Data.Length;
        progress?.Report(written);
        long count = ContentMerkle.ChunkCount(size, chunkSize);
        for (long start = 1; start < count; start += _options.Parallelism)
        {
            long end = Math.Min(count, start + _options.Parallelism);
            var window = new Task<ChunkAnswer>[end - start];
            for (long i = start; i < end; i++) window[i - start] = FetchVerifiedAsync(endpoint, root, size, chunkSize, i, ct);
            try
            {
                await Task.WhenAll(window).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Every task has finished and is observed; the loop below rethrows the lowest failed chunk's error.
            }
            foreach (var task in window)
            {
                var data = (await task.ConfigureAwait(false)).Data;
                await destination.WriteAsync(data, ct).ConfigureAwait(false);
                written += data.Length;
            }
            progress?.Report(written);
        }
        return new ContentInfo(root, size, chunkSize);
    }

    private async Task<ChunkAnswer> FetchVerifiedAsync(Uri endpoint, Hash256 root, long size, int? expectedChunkSize, long index, CancellationToken ct)
    {
        string? lastProblem = null;
        TimeSpan backoff = _options.InitialBackoff;
        for (int attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(backoff, ct).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
            ChunkAnswer answer;
            try
            {
                answer = await RequestChunkAsync(endpoint, root, index, ct).ConfigureAwait(false);
            }
            catch (ChunkRequestException e) when (e.Permanent)
            {
                throw new ContentFetchException(root, index, $"chunk {index} of {root} from {endpoint}: {e.Message}");
            }
            catch (ChunkRequestException e)
            {
                lastProblem = e.Message;
                continue;
            }
            lastProblem = Check(answer, root, size, expectedChunkSize, index);
            if (lastProblem is null) return answer;
        }
        throw new ContentFetchException(root, index,
            $"chunk {index} of {root} from {endpoint} failed {_options.MaxAttempts} time(s); last: {lastProblem}");
    }

    private static string? Check(ChunkAnswer answer, Hash256 root, long size, int? expectedChunkSize, long index)
    {
        if (answer.Root != root) return $"the node answered for root {answer.Root}";
        if (answer.Size != size) return $"the node says the content is {answer.Size} bytes, the caller expects {size}";
        if (answer.Index != index) return $"the node answered chunk {answer.Index}";
        if (expectedChunkSize is { } expected && answer.ChunkSize != expected)
            return $"chunk size changed from {expected} to {answer.ChunkSize}";
        return ContentMerkle.Check(root, size, answer.ChunkSize, index, answer.Data, answer.Proof) is { } reason
            ? $"verification failed: {reason}"
            : null;
    }

    private sealed record ChunkAnswer(Hash256 Root, long Size, int ChunkSize, long Index, byte[] Data, Hash256[] Proof);

    private sealed class ChunkRequestException(string message, bool permanent) : Exception(message)
    {
        public bool Permanent { get; } = permanent;
    }

    // JSON-RPC error codes after which asking again cannot help (IExecChain.Rpc.RpcErrorCodes).
    private const int InvalidParams = -32602;
    private const int MethodNotFound = -32601;
    private const int NotFound = -32001;

    private async Task<ChunkAnswer> RequestChunkAsync(Uri endpoint, Hash256 root, long index, CancellationToken ct)
    {
        var request = new { jsonrpc = "2.0", id = Interlocked.Increment(ref _nextId), method = "iex_getChunk", @params = new object[] { root.ToString(), index } };
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        byte[] body;
        try
        {
            using var response = await _http.PostAsync(endpoint, content, timeout.Token).ConfigureAwait(false);
            body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ChunkRequestException($"cannot reach the node: {e.Message}", permanent: false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ChunkRequestException($"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s", permanent: false);
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            var rootElement = doc.RootElement;
            if (rootElement.TryGetProperty("error", out var error))
            {
                int code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out int value) ? value : 0;
                string message = error.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
                throw new ChunkRequestException($"the node answered error {code}: {message}", permanent: code is NotFound or InvalidParams or MethodNotFound);
            }
            if (!rootElement.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
                throw new ChunkRequestException("the node answered without a chunk", permanent: false);
            var chunk = result.Deserialize<ChunkResult>(RpcJson.Options) ?? throw new JsonException("the chunk is null");
            var proof = new Hash256[chunk.Proof.Count];
            for (int p = 0; p < proof.Length; p++)
                proof[p] = Hash256.TryParse(chunk.Proof[p], out var hash) ? hash : throw new FormatException("a proof entry is not a 32-byte hash");
            ulong chunkSize = chunk.ChunkSize;
            return new ChunkAnswer(
                Hash256.TryParse(chunk.Root, out var answeredRoot) ? answeredRoot : throw new FormatException("root is not a 32-byte hash"),
                Length(chunk.Size, "size"),
                chunkSize is >= 1 and <= ContentMerkle.MaxChunkSize ? (int)chunkSize : throw new FormatException($"chunk size {chunkSize} is out of range"),
                Length(chunk.Index, "index"),
                Hex.TryDecode(chunk.Data, out var data, out var hexError) ? data : throw new FormatException($"data: {hexError}"),
                proof);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new ChunkRequestException($"malformed answer: {e.Message}", permanent: false);
        }
    }

    /// <summary>Sizes and indexes are counted in <see cref="long"/> here; a quantity past it is a malformed answer.</summary>
    private static long Length(ulong value, string name) =>
        value <= long.MaxValue ? (long)value : throw new FormatException($"{name} {value} is out of range");

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
