using NUnit.Framework;

namespace IExecChain.TestSupport;

/// <summary>
/// The repository's documents, copied next to the test binaries by the test project (Link="docs/…"),
/// for tests that check a quoted default against the constant it quotes. Linked into every test
/// project that has such a test.
/// </summary>
internal static class Docs
{
    /// <summary>The document's text with every run of white space (line breaks included) made one space.</summary>
    public static string Read(string relativePath) => Texts.GetOrAdd(relativePath, static relative =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, relative);
        Assert.That(File.Exists(path), Is.True, $"{relative} is not copied next to the tests (see the test project)");
        return string.Join(' ', File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    });

    // A test quotes a document a dozen times: read and normalise each document once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Texts = new();

    /// <summary>Asserts that <paramref name="document"/> quotes <paramref name="expected"/>, naming the document on failure.</summary>
    public static void AssertQuotes(string document, string expected)
    {
        // Contains rather than Does.Contain: a failure names the missing quote, not the whole document.
        Assert.That(Read(document).Contains(expected, StringComparison.Ordinal), Is.True, $"{document} should quote the default as: {expected}");
    }
}
