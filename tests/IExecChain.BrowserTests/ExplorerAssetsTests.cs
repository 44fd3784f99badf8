using System.IO.Compression;
using System.Text;
using IExecChain.Explorer;
using Microsoft.AspNetCore.Http;
using NUnit.Framework;

namespace IExecChain.BrowserTests;

/// <summary>The embedded bundle and how it is answered, without a server: headers, caching, compression.</summary>
[TestFixture]
public sealed class ExplorerAssetsTests
{
    private static readonly ExplorerAssets Assets = ExplorerAssets.Embedded();

    private static async Task<(HttpResponse Response, byte[] Body)> GetAsync(string path, string host = "127.0.0.1:8645", Action<HttpRequest>? configure = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = path;
        context.Request.Headers.Host = host;
        configure?.Invoke(context.Request);
        using var body = new MemoryStream();
        context.Response.Body = body;
        await Assets.ServeAsync(context, path);
        return (context.Response, body.ToArray());
    }

    [Test]
    public void The_build_embedded_index_html_one_script_and_one_stylesheet_and_the_wallet_bundle_apart()
    {
        var paths = Assets.Paths.ToList();
        Assert.That(paths, Does.Contain("/index.html"));
        Assert.That(paths.Count(p => p.StartsWith("/assets/app-", StringComparison.Ordinal) && p.EndsWith(".js", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(paths.Count(p => p.StartsWith("/assets/app-", StringComparison.Ordinal) && p.EndsWith(".css", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(paths.Count(p => p.StartsWith("/assets/wallet-", StringComparison.Ordinal) && p.EndsWith(".js", StringComparison.Ordinal)), Is.EqualTo(1), "the wallet, loaded on demand");
    }

    private static string AppScript => Assets.Paths.Single(p => p.StartsWith("/assets/app-", StringComparison.Ordinal) && p.EndsWith(".js", StringComparison.Ordinal));

    [Test]
    public async Task Index_is_revalidated_and_hashed_assets_are_cached_for_good()
    {
        var (index, html) = await GetAsync("/index.html");
        Assert.That(index.StatusCode, Is.EqualTo(200));
        Assert.That(index.ContentType, Is.EqualTo("text/html; charset=utf-8"));
        Assert.That(index.Headers.CacheControl.ToString(), Is.EqualTo("no-cache"));
        string script = AppScript;
        Assert.That(Encoding.UTF8.GetString(html), Does.Contain($"src=\"{script}\""));

        var (asset, _) = await GetAsync(script);
        Assert.That(asset.ContentType, Is.EqualTo("text/javascript; charset=utf-8"));
        Assert.That(asset.Headers.CacheControl.ToString(), Does.Contain("immutable"));
        string etag = asset.Headers.ETag.ToString();
        Assert.That(etag, Does.Match("^\"[0-9a-f]{24}\"$"));

        var (again, body) = await GetAsync(script, configure: r => r.Headers.IfNoneMatch = $"\"other\", W/{etag}");
        Assert.That(again.StatusCode, Is.EqualTo(304));
        Assert.That(body, Is.Empty);
    }

    [Test]
    public async Task Every_answer_carries_the_policy_naming_the_hosts_websocket()
    {
        var (response, _) = await GetAsync("/index.html", host: "localhost:18645");
        string policy = response.Headers.ContentSecurityPolicy.ToString();
        Assert.That(policy, Does.StartWith("default-src 'self'; script-src 'self'; style-src 'self';"));
        Assert.That(policy, Does.Contain("connect-src 'self' ws://localhost:18645;"));
        Assert.That(policy, Does.Contain("require-trusted-types-for 'script'; trusted-types 'none'"));
        Assert.That(response.Headers.XContentTypeOptions.ToString(), Is.EqualTo("nosniff"));
        Assert.That(response.Headers.XFrameOptions.ToString(), Is.EqualTo("DENY"));

        // A Host that is not plain host:port text is never copied into the header.
        Assert.That(ExplorerAssets.ContentSecurityPolicy("a.example; script-src *"), Does.Contain("connect-src 'self';"));
        Assert.That(ExplorerAssets.ContentSecurityPolicy(null), Does.Not.Contain("ws:"));
    }

    [Test]
    public async Task Text_goes_gzipped_to_clients_that_accept_it()
    {
        string script = AppScript;
        var (plain, raw) = await GetAsync(script);
        var (zipped, compressed) = await GetAsync(script, configure: r => r.Headers.AcceptEncoding = "gzip, deflate, br");
        var (refused, _) = await GetAsync(script, configure: r => r.Headers.AcceptEncoding = "gzip;q=0");

        Assert.That(plain.Headers.ContentEncoding.ToString(), Is.Empty);
        Assert.That(zipped.Headers.ContentEncoding.ToString(), Is.EqualTo("gzip"));
        Assert.That(refused.Headers.ContentEncoding.ToString(), Is.Empty);
        Assert.That(compressed.Length, Is.LessThan(raw.Length));
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var unzipped = new MemoryStream();
        gzip.CopyTo(unzipped);
        Assert.That(unzipped.ToArray(), Is.EqualTo(raw));
    }

    [Test]
    public async Task Unknown_asset_is_404_with_nosniff()
    {
        var (response, body) = await GetAsync("/assets/app-NOPE.js");
        Assert.That(response.StatusCode, Is.EqualTo(404));
        Assert.That(response.Headers.XContentTypeOptions.ToString(), Is.EqualTo("nosniff"));
        Assert.That(Encoding.UTF8.GetString(body), Does.Contain("no explorer asset at /assets/app-NOPE.js"));
    }
}
