using System.Collections.Frozen;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace IExecChain.Explorer;

/// <summary>
/// The bundled web explorer (wwwroot/, embedded at build time), served with a strict
/// Content-Security-Policy. Asset names carry a hash of their content, so they are cached for good;
/// index.html is revalidated by its ETag on every load, and picks up a new bundle at once.
/// </summary>
public sealed class ExplorerAssets
{
    private const string ResourcePrefix = "wwwroot/";
    private const string ImmutableCaching = "public, max-age=31536000, immutable";
    private const string Revalidate = "no-cache";

    private static readonly Lazy<ExplorerAssets> EmbeddedAssets = new(Load);

    private readonly FrozenDictionary<string, Asset> _assets;

    private ExplorerAssets(FrozenDictionary<string, Asset> assets) => _assets = assets;

    /// <summary>The assets embedded in this assembly; fails when the build left none (the bundle did not run).</summary>
    public static ExplorerAssets Embedded() => EmbeddedAssets.Value;

    private static ExplorerAssets Load()
    {
        Assembly assembly = typeof(ExplorerAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            using Stream stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            string path = "/" + name[ResourcePrefix.Length..].Replace('\\', '/');
            assets[path] = Asset.Of(path, memory.ToArray());
        }
        if (!assets.ContainsKey("/index.html"))
            throw new InvalidOperationException("the explorer's index.html is not embedded: build src/IExecChain.Explorer (it runs `node build.mjs`)");
        return new ExplorerAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>Paths served, such as "/index.html" and "/assets/app-UJPKLDOQ.js".</summary>
    public IEnumerable<string> Paths => _assets.Keys;

    /// <summary>
    /// The Content-Security-Policy of every explorer response: scripts, styles and connections only
    /// from this node (its WebSocket included, named with the Host the browser used), no inline
    /// script or style, no eval, no framing, no plugins. Trusted Types are required with no policy
    /// allowed: the browser refuses any string written to an HTML or script sink (innerHTML, a script's
    /// src, document.write), so a value from the chain can never become markup even through a bug.
    /// </summary>
    public static string ContentSecurityPolicy(string? host)
    {
        string socket = host is not null && IsPlainHost(host) ? $" ws://{host}" : "";
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
               $"connect-src 'self'{socket}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " +
               "require-trusted-types-for 'script'; trusted-types 'none'";
    }

    /// <summary>GET /index.html (also what GET / gives a browser).</summary>
    public Task ServeIndexAsync(HttpContext context) => ServeAsync(context, "/index.html");

    /// <summary>GET of a path under /assets/ (or any embedded path); 404 when there is none.</summary>
    public Task ServeAsync(HttpContext context) => ServeAsync(context, context.Request.Path.Value ?? "/");

    public async Task ServeAsync(HttpContext context, string path)
    {
        HttpResponse response = context.Response;
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers["X-Frame-Options"] = "DENY";
        if (!_assets.TryGetValue(path, out Asset? asset))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync($"no explorer asset at {path}\n", context.RequestAborted);
            return;
        }

        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy(context.Request.Headers.Host.ToString());
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = asset.Immutable ? ImmutableCaching : Revalidate;
        response.Headers.Vary = "Accept-Encoding";
        if (Matches(context.Request.Headers.IfNoneMatch, asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        response.ContentType = asset.ContentType;
        bool gzip = asset.Gzipped is not null && AcceptsGzip(context.Request);
        byte[] body = gzip ? asset.Gzipped! : asset.Content;
        if (gzip) response.Headers.ContentEncoding = "gzip";
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }

    // If-None-Match holds one or more entity tags, comma-separated, possibly weak (W/"…"), or *.
    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        foreach (string? value in ifNoneMatch)
        {
            if (value is null) continue;
            foreach (string part in value.Split(','))
            {
                string tag = part.Trim();
                if (tag.StartsWith("W/", StringComparison.Ordinal)) tag = tag[2..];
                if (tag == "*" || tag == etag) return true;
            }
        }
        return false;
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        foreach (string? value in request.Headers.AcceptEncoding)
        {
            if (value is null) continue;
            foreach (string part in value.Split(','))
            {
                string coding = part.Trim();
                if (coding.StartsWith("gzip", StringComparison.OrdinalIgnoreCase) && !coding.Replace(" ", "", StringComparison.Ordinal).EndsWith(";q=0", StringComparison.Ordinal)) return true;
            }
        }
        return false;
    }

    // A Host header Kestrel accepted is already a host[:port]; only such plain text goes into a header we write.
    private static bool IsPlainHost(string host)
    {
        if (host.Length is 0 or > 255) return false;
        foreach (char c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']')) return false;
        }
        return true;
    }

    private sealed record Asset(string ContentType, byte[] Content, byte[]? Gzipped, string ETag, bool Immutable)
    {
        public static Asset Of(string path, byte[] content)
        {
            string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            string type = ContentTypeOf(path);
            bool text = type.StartsWith("text/", StringComparison.Ordinal) || type.StartsWith("image/svg", StringComparison.Ordinal) || type.StartsWith("application/json", StringComparison.Ordinal);
            byte[]? gzipped = text && content.Length > 1024 ? Gzip(content) : null;
            // Only the hashed bundle under /assets/ never changes under its name.
            return new Asset(type, content, gzipped, etag, path.StartsWith("/assets/", StringComparison.Ordinal));
        }

        private static byte[] Gzip(byte[] content)
        {
            using var memory = new MemoryStream();
            using (var gzip = new GZipStream(memory, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(content);
            return memory.ToArray();
        }
    }

    /// <summary>The Content-Type of a served file, by its extension.</summary>
    public static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" => "application/json",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".woff2" => "font/woff2",
        ".txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}
